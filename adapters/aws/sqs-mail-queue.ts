/**
 * MailQueue and QueueOperator on an SQS standard queue + dead-letter queue, with a DynamoDB index (queue-index-table.ts)
 * only for jobs off the fast path: a job delivered at its first attempt costs one batched send, one
 * receive and one batched delete. Deferred, delayed, DSN, rule-generated and last-chance jobs are indexed; their
 * copies carry a generation the receive checks, so stale copies are deleted unseen.
 * Failure: SQS/DynamoDB errors propagate (storage faults); stale receipts raise LeaseLostError.
 */

import { randomBytes } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_MAX_QUEUED } from '../../core/config/defaults.ts';
import { type Clock, systemClock } from '../../core/ports/clock.ts';
import { LeaseLostError, QueueFullError } from '../../core/ports/errors.ts';
import type {
  DeadLetterSource,
  LeasedJob,
  MailQueue,
  QueueDepth,
  QueueEntry,
  QueueEntryStatus,
  QueueJob,
  QueueOperator,
  ReceiveOptions,
} from '../../core/ports/mail-queue.ts';
import type { TickBatcher } from './sqs-batcher.ts';
import { deleteBatcher, type SendEntry, sendBatcher } from './sqs-batches.ts';
import {
  checkDelay,
  checkVisibility,
  decodeCopy,
  decodeReceipt,
  encodeCopy,
  encodeReceipt,
  isStaleReceiptError,
  LeaseDeadlines,
  nextGeneration,
  type Receipt,
  secondsUntil,
} from './sqs-copies.ts';
import { SqsDeadLetterSource } from './sqs-dead-letter-source.ts';
import { staleCopyAction } from './sqs-index-rules.ts';
import { SqsOperatorAccess } from './sqs-operator-access.ts';
import { SqsQueueIndex } from './sqs-queue-index.ts';

export interface SqsMailQueueOptions {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBDocumentClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly indexTable: string;
  /** Must equal maxReceiveCount in the queue's RedrivePolicy. */
  readonly maxReceiveCount: number;
  /** Refuse enqueues beyond this many messages (0 = no cap; costs one request per tick of enqueues). */
  readonly maxQueued?: number;
  readonly clock?: Clock;
}

export class SqsMailQueue implements MailQueue, QueueOperator {
  readonly maxReceiveCount: number;
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;
  private readonly clock: Clock;
  private readonly maxQueued: number;
  private readonly index: SqsQueueIndex;
  private readonly sends: TickBatcher<SendEntry, string>;
  private readonly deletes: TickBatcher<string, void>;
  private readonly operator: SqsOperatorAccess;
  /** Dead jobs not yet reported, from the index's dead-letters GSI (sqs-dead-letter-source.ts). */
  readonly deadLetters: DeadLetterSource;
  private readonly leases = new LeaseDeadlines();
  private admission: { live: Promise<number>; reserved: number } | undefined;
  private closed = false;

  constructor(opts: SqsMailQueueOptions) {
    this.sqs = opts.sqs;
    this.queueUrl = opts.queueUrl;
    this.maxReceiveCount = opts.maxReceiveCount;
    this.maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.clock = opts.clock ?? systemClock;
    this.index = new SqsQueueIndex(opts.dynamodb, opts.indexTable);
    this.sends = sendBatcher(this.sqs, this.queueUrl);
    this.deletes = deleteBatcher(this.sqs, this.queueUrl);
    this.operator = new SqsOperatorAccess({
      sqs: this.sqs,
      queueUrl: this.queueUrl,
      dlqUrl: opts.deadLetterQueueUrl,
      index: this.index,
      clock: this.clock,
      maxReceiveCount: this.maxReceiveCount,
      sendCopy: (job, gen) => this.sendCopy(job, gen, true, 0),
    });
    this.deadLetters = new SqsDeadLetterSource(this.index, this.clock, this.maxReceiveCount);
  }

  /** Requests the batchers sent (tests and benchmarks). */
  get batchRequests(): { sends: number; deletes: number } {
    return { sends: this.sends.requests, deletes: this.deletes.requests };
  }

  enqueue(jobs: readonly QueueJob[], opts: { delaySeconds?: number } = {}): Promise<void> {
    try {
      const delay = checkDelay(opts.delaySeconds ?? 0);
      if (this.closed) throw new Error('mail queue is closed');
      // Snapshot now: the caller may go on changing its job objects after this call.
      const copies = jobs.map((job) => JSON.parse(JSON.stringify(job)) as QueueJob);
      return this.enqueueCopies(copies, delay);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private async enqueueCopies(jobs: QueueJob[], delay: number): Promise<void> {
    if (jobs.length === 0) return;
    await this.reserveRoom(jobs.length);
    await Promise.all(
      jobs.map((job) =>
        // The fast path: no index. Jobs with derived ids are indexed for id dedupe, delayed jobs
        // for operators.
        hasDerivedId(job) || delay > 0
          ? this.enqueueIndexed(job, delay)
          : this.sendCopy(job, nextGeneration(), false, delay),
      ),
    );
  }

  private async enqueueIndexed(job: QueueJob, delay: number): Promise<void> {
    const now = this.clock.now();
    const gen = nextGeneration();
    const st = hasDerivedId(job) && delay === 0 ? 'dedupe' : 'queued';
    const r = await this.index.claim(job, gen, st, now + delay * 1000, now, hasDerivedId(job));
    if (r.ok) {
      try {
        await this.sendCopy(job, gen, true, delay);
      } catch (err) {
        await this.index.restore(job.id, gen, r.old).catch(() => {});
        throw err;
      }
      return;
    }
    // The id is taken. If its copy was never received it may never have been sent (a crash
    // between the two writes): send the current copy again; only one copy of a generation is
    // ever leased, the others are deleted at receive.
    const item = r.item;
    if (item?.job && (item.st === 'dedupe' || item.st === 'queued')) {
      await this.sendCopy(JSON.parse(item.job) as QueueJob, item.gen, true, secondsUntil(item.vis, now));
    }
  }

  private sendCopy(job: QueueJob, gen: number, indexed: boolean, delay: number): Promise<string> {
    return this.sends.add({ body: encodeCopy(job, gen, indexed), delay });
  }

  /** The queue cap: one depth read shared by the enqueues of a tick, which reserve what they add. */
  private async reserveRoom(n: number): Promise<void> {
    if (this.maxQueued <= 0) return;
    if (!this.admission) {
      const a = { live: this.operator.liveCount(), reserved: 0 };
      this.admission = a;
      const forget = (): void => {
        if (this.admission === a) this.admission = undefined;
      };
      // Calls of later ticks read the depth afresh, once this read has answered.
      a.live.then(
        () => setImmediate(forget),
        () => setImmediate(forget),
      );
    }
    const a = this.admission;
    const live = await a.live;
    if (live + a.reserved + n > this.maxQueued) throw new QueueFullError(this.maxQueued);
    a.reserved += n;
  }

  async receive(opts: ReceiveOptions): Promise<LeasedJob[]> {
    const visibility = checkVisibility(opts.visibilitySeconds);
    const max = Math.min(10, Math.floor(opts.max));
    if (!(max > 0) || this.closed) return [];
    const until = performance.now() + Math.max(0, opts.waitMs ?? 0);
    for (let round = 0; ; round++) {
      const left = until - performance.now();
      const startedAt = this.clock.now();
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: max,
          VisibilityTimeout: visibility,
          // SQS waits in whole seconds, at most 20; a shorter wait is rounded up.
          WaitTimeSeconds: left > 0 ? Math.min(20, Math.ceil(left / 1000)) : 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
      );
      const messages = out.Messages ?? [];
      // The lease is timed from before the request, so it never ends after SQS's own.
      const leased = await this.admit(messages, startedAt + visibility * 1000);
      if (leased.length > 0 || this.closed) return leased;
      // Only stale copies came back: look again while the wait lasts (or a few times if none).
      if (performance.now() >= until && (messages.length === 0 || round >= 3)) return [];
    }
  }

  /**
   * Turn received messages into leased jobs (public for an SQS event source, whose records carry
   * the same fields): copies the index refuses are dealt with here and left out. A copy whose
   * index check fails is left out too (its lease runs out and it comes back); if every check
   * failed, the first error is thrown.
   */
  async admit(messages: readonly Message[], leaseUntil: number): Promise<LeasedJob[]> {
    const settled = await Promise.allSettled(messages.map((m) => this.admitMessage(m, leaseUntil)));
    const leased = settled.flatMap((s) => (s.status === 'fulfilled' && s.value ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (leased.length === 0 && failed) throw failed.reason;
    return leased;
  }

  /**
   * Admit one record an SQS event source received (the queue Lambda). The event source received
   * it some unknown time before this invocation (batching window, cold start), so a lease timed
   * from now could outlast SQS's visibility: the record could then come back to another
   * invocation while the index still shows this one's lease, be taken for a duplicate and
   * reported as done, and the event source would delete the only copy. So a record that takes an
   * index lease first has its visibility set afresh (one ChangeMessageVisibility) and the lease is
   * timed from before that request, as a receive times it. The answer says what the handler must
   * report: `leased` (process it), `dropped` (a stale copy dealt with here: success, deleting it
   * is right) or `kept` (a live lease elsewhere, a lost receipt, or not ours: report a batch item
   * failure so the event source leaves the message in the queue).
   */
  async admitRecord(m: Message, visibilitySeconds: number): Promise<RecordAdmission> {
    const visibility = checkVisibility(visibilitySeconds);
    const copy = decodeCopy(m.Body);
    if (!copy || !m.ReceiptHandle || !m.MessageId) return { kind: 'kept' };
    const rc = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    const startedAt = this.clock.now();
    if (copy.x || rc >= this.maxReceiveCount) {
      try {
        await this.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.queueUrl,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: visibility,
          }),
        );
      } catch (err) {
        // Received again elsewhere already: that receive owns the message now.
        if (isStaleReceiptError(err)) return { kind: 'kept' };
        throw err;
      }
    }
    const outcome = { kept: false };
    const leased = await this.admitMessage(m, startedAt + visibility * 1000, outcome);
    if (leased) return { kind: 'leased', job: leased };
    return { kind: outcome.kept ? 'kept' : 'dropped' };
  }

  /**
   * Decide what a received message is: a leased job, or a stale copy dealt with here. `outcome`
   * learns whether a copy left out is still in the queue (deferred, or not ours).
   */
  private async admitMessage(
    m: Message,
    until: number,
    outcome: { kept: boolean } = { kept: false },
  ): Promise<LeasedJob | undefined> {
    const copy = decodeCopy(m.Body);
    if (!copy || !m.ReceiptHandle || !m.MessageId) {
      outcome.kept = true;
      return undefined; // not ours: left to go dead
    }
    const rc = Number(m.Attributes?.ApproximateReceiveCount ?? 1);
    const receipt: Receipt = { h: m.ReceiptHandle, id: copy.job.id, m: m.MessageId, g: copy.g, d: until };
    // Fast path: a copy the index does not know, before its last receive, is simply leased.
    if (!copy.x && rc < this.maxReceiveCount) {
      return { job: copy.job, receipt: encodeReceipt(receipt), receiveCount: rc };
    }
    // Indexed, or its last receive before SQS dead-letters it: record the lease so operators
    // can see (and release) the job once it is dead.
    const lease = randomBytes(9).toString('base64url');
    const now = this.clock.now();
    const facts = { id: copy.job.id, gen: copy.g, mid: m.MessageId, rc, job: copy.job };
    const r = await this.index.takeLease(facts, lease, until, now, rc >= this.maxReceiveCount);
    if (r.ok) return { job: copy.job, receipt: encodeReceipt({ ...receipt, l: lease }), receiveCount: rc };
    const action = r.item ? staleCopyAction(r.item, facts, now) : { kind: 'delete' as const };
    if (action.kind === 'defer') {
      // The only copy of a live lease: it must stay in the queue.
      outcome.kept = true;
      await this.sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: this.queueUrl,
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: action.seconds,
          }),
        )
        .catch(() => {});
      return undefined;
    }
    if (action.kind === 'resend') await this.sendCopy(action.job, action.gen, true, action.delay);
    await this.deletes.add(m.ReceiptHandle);
    return undefined;
  }

  async extend(receipt: string, visibilitySeconds: number): Promise<void> {
    const visibility = checkVisibility(visibilitySeconds);
    const r = decodeReceipt(receipt);
    const now = this.clock.now();
    if (this.leases.deadline(r) <= now) throw new LeaseLostError(receipt);
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: r.h,
          VisibilityTimeout: visibility,
        }),
      );
    } catch (err) {
      if (isStaleReceiptError(err)) throw new LeaseLostError(receipt);
      throw err;
    }
    // Operators judge "in flight" by the index: keep its lease end with SQS's.
    if (r.l && !(await this.index.extend(r.id, r.l, now + visibility * 1000)))
      throw new LeaseLostError(receipt);
    this.leases.extend(r, now + visibility * 1000);
  }

  async ack(receipt: string): Promise<void> {
    let r: Receipt;
    try {
      r = decodeReceipt(receipt);
    } catch {
      return;
    }
    this.leases.forget(r);
    // An indexed job is marked done first: if the delete is then lost, the copy is recognised
    // as finished when it comes back. A lost lease makes the whole ack a no-op.
    if (r.l && !(await this.index.complete(r.id, r.l, this.clock.now()))) return;
    await this.deletes.add(r.h);
  }

  async reschedule(receipt: string, job: QueueJob, delaySeconds: number): Promise<void> {
    const delay = checkDelay(delaySeconds);
    const r = decodeReceipt(receipt);
    if (job.id !== r.id) throw new Error(`reschedule of job ${job.id} with the receipt of job ${r.id}`);
    const now = this.clock.now();
    if (this.leases.deadline(r) <= now) throw new LeaseLostError(receipt);
    const snapshot = JSON.parse(JSON.stringify(job)) as QueueJob;
    const gen = nextGeneration(r.g);
    // Index first, then the new copy, then delete the old one. A crash after the index write
    // leaves the old copy, which the index recognises (pmid) and replaces with the new state.
    const held = { gen: r.g, mid: r.m, ...(r.l ? { lease: r.l } : {}) };
    const w = await this.index.reschedule(snapshot, held, gen, now + delay * 1000, now);
    if (!w.ok) throw new LeaseLostError(receipt);
    try {
      await this.sendCopy(snapshot, gen, true, delay);
    } catch (err) {
      await this.index.restore(job.id, gen, w.old).catch(() => {});
      throw err;
    }
    this.leases.forget(r);
    await this.deletes.add(r.h);
  }

  async park(receipt: string, job: QueueJob): Promise<void> {
    const r = decodeReceipt(receipt);
    if (job.id !== r.id) throw new Error(`park of job ${job.id} with the receipt of job ${r.id}`);
    const now = this.clock.now();
    if (this.leases.deadline(r) <= now) throw new LeaseLostError(receipt);
    const snapshot = JSON.parse(JSON.stringify(job)) as QueueJob;
    // Into the index as held (as a reschedule indexes a deferred job), then drop the SQS copy:
    // a copy that survives the delete is stale from the index write on.
    const w = await this.index.park(
      snapshot,
      { gen: r.g, ...(r.l ? { lease: r.l } : {}) },
      nextGeneration(r.g),
      now,
    );
    if (!w.ok) throw new LeaseLostError(receipt);
    this.leases.forget(r);
    await this.deletes.add(r.h);
  }

  hold(jobId: string): Promise<boolean> {
    return this.operator.hold(jobId);
  }

  list(opts: { limit?: number; status?: QueueEntryStatus } = {}): Promise<QueueEntry[]> {
    return this.operator.list(opts);
  }

  get(jobId: string): Promise<QueueEntry | undefined> {
    return this.operator.get(jobId);
  }

  releaseNow(jobId: string, opts: { readonly clearNotBefore?: boolean } = {}): Promise<boolean> {
    return this.operator.releaseNow(jobId, opts);
  }

  remove(jobId: string): Promise<boolean> {
    return this.operator.remove(jobId);
  }

  depth(): Promise<QueueDepth> {
    return this.operator.depth();
  }

  /** Send what is pending and refuse further enqueues; receives then return empty. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.sends.drain(), this.deletes.drain()]);
  }
}

/** What the queue Lambda reports for one record (see SqsMailQueue.admitRecord). */
export type RecordAdmission =
  | { readonly kind: 'leased'; readonly job: LeasedJob }
  | { readonly kind: 'dropped' }
  | { readonly kind: 'kept' };

/**
 * DSNs and rule-generated mail get ids derived from the step that made them (derivedQueueId), so
 * a repeated step enqueues the same id again: the index makes the second enqueue a no-op.
 */
function hasDerivedId(job: QueueJob): boolean {
  return job.source === 'DSN' || job.source === 'RULE';
}
