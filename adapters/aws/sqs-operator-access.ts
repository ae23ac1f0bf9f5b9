/**
 * Operator access to the SQS mail queue: list/get/releaseNow/remove over the index (only jobs off
 * the fast path are indexed, so only they are visible) and depth from SQS's approximate counts.
 * SQS cannot change a waiting message, so a release sends a new generation and a removal marks
 * the item; the old copy is dropped when a receive meets it. Failure: AWS errors propagate.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../../core/ports/clock.ts';
import type { QueueDepth, QueueEntry, QueueEntryStatus, QueueJob } from '../../core/ports/mail-queue.ts';
import { nextGeneration } from './sqs-copies.ts';
import { deleteDeadCopies } from './sqs-dead-letters.ts';
import { toEntry } from './sqs-index-rules.ts';
import type { SqsQueueIndex } from './sqs-queue-index.ts';

export interface OperatorAccessDeps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly index: SqsQueueIndex;
  readonly clock: Clock;
  readonly maxReceiveCount: number;
  /** Send an indexed copy of `job` under generation `gen`, visible now. */
  readonly sendCopy: (job: QueueJob, gen: number) => Promise<unknown>;
}

export class SqsOperatorAccess {
  constructor(private readonly d: OperatorAccessDeps) {}

  async list(opts: { limit?: number; status?: QueueEntryStatus } = {}): Promise<QueueEntry[]> {
    const now = this.d.clock.now();
    const entries = (await this.d.index.scanVisible())
      .map((item) => ({ item, entry: toEntry(item, now, this.d.maxReceiveCount) }))
      .filter((x) => x.entry !== undefined && (!opts.status || x.entry.status === opts.status))
      .sort((a, b) => a.item.created - b.item.created || a.item.id.localeCompare(b.item.id));
    return entries.slice(0, Math.max(0, Math.floor(opts.limit ?? 1000))).map((x) => x.entry!);
  }

  async get(jobId: string): Promise<QueueEntry | undefined> {
    const item = await this.d.index.get(jobId);
    return item && toEntry(item, this.d.clock.now(), this.d.maxReceiveCount);
  }

  async releaseNow(jobId: string, opts: { readonly clearNotBefore?: boolean } = {}): Promise<boolean> {
    const now = this.d.clock.now();
    const item = await this.d.index.get(jobId);
    const entry = item && toEntry(item, now, this.d.maxReceiveCount);
    if (!item || !entry || entry.status === 'in-flight') return false;
    const clear = opts.clearNotBefore === true && entry.job.notBefore !== undefined;
    if (entry.status === 'ready' && !clear) return true; // receivable already, nothing to change
    const job = { ...entry.job };
    if (clear) delete job.notBefore;
    // A new generation, visible now; the waiting copy is stale from the index write on.
    const gen = nextGeneration(item.gen);
    const w = await this.d.index.release(item, gen, job, now);
    if (!w.ok) return false;
    try {
      await this.d.sendCopy(job, gen);
    } catch (err) {
      await this.d.index.restore(jobId, gen, w.old).catch(() => {});
      throw err;
    }
    await this.d.index.confirmRelease(jobId, gen);
    if (entry.status === 'dead') await deleteDeadCopies(this.d.sqs, this.d.dlqUrl, jobId);
    return true;
  }

  /** Park a waiting indexed job: a new generation in state held, so its SQS copy goes stale. */
  async hold(jobId: string): Promise<boolean> {
    const now = this.d.clock.now();
    const item = await this.d.index.get(jobId);
    const entry = item && toEntry(item, now, this.d.maxReceiveCount);
    if (!item || !entry) return false;
    if (entry.status === 'held') return true;
    if (entry.status !== 'ready' && entry.status !== 'delayed') return false;
    return this.d.index.hold(item, nextGeneration(item.gen), now);
  }

  async remove(jobId: string): Promise<boolean> {
    const now = this.d.clock.now();
    const item = await this.d.index.get(jobId);
    const entry = item && toEntry(item, now, this.d.maxReceiveCount);
    if (!item || !entry || entry.status === 'in-flight') return false;
    // The waiting copy stays in SQS until a receive finds it removed and deletes it.
    if (!(await this.d.index.remove(item, now))) return false;
    if (entry.status === 'dead') await deleteDeadCopies(this.d.sqs, this.d.dlqUrl, jobId);
    return true;
  }

  /** SQS's approximate counts; `dead` is everything in the DLQ; `held` from the index (not in SQS). */
  async depth(): Promise<QueueDepth> {
    const [main, dead, held] = await Promise.all([
      this.counts(this.d.queueUrl),
      this.counts(this.d.dlqUrl),
      this.d.index.countHeld(),
    ]);
    return { ...main, dead: dead.ready + dead.inFlight + dead.delayed, held };
  }

  /** Messages in the main queue, whatever their state. */
  async liveCount(): Promise<number> {
    const d = await this.counts(this.d.queueUrl);
    return d.ready + d.inFlight + d.delayed;
  }

  private async counts(queueUrl: string): Promise<Omit<QueueDepth, 'dead' | 'held'>> {
    const out = await this.d.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const a = out.Attributes ?? {};
    return {
      ready: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }
}
