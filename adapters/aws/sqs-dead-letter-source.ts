/**
 * The dead-letter sweep's source on the SQS queue: dead jobs not yet reported, read with one
 * Query of the index's sparse `dead-letters` GSI (last-chance leases whose end has passed), never
 * a Scan, so queue processors need no Scan right. A report is claimed with a conditional write
 * (one sweeper per job at a time, for the claim's length) and, once sent, the item leaves the
 * GSI; the job itself stays dead in the DLQ and in the index, redrivable by an operator.
 * Tokens carry the job id and the lease whose death is reported, so a job released and dead
 * again is a new report. Failure: DynamoDB errors propagate (the sweep logs and retries).
 */
import type { Clock } from '../../core/ports/clock.ts';
import type { DeadLetter, DeadLetterSource } from '../../core/ports/mail-queue.ts';
import { toEntry } from './sqs-index-rules.ts';
import type { SqsQueueIndex } from './sqs-queue-index.ts';

interface Token {
  readonly id: string;
  readonly lease: string;
}

export class SqsDeadLetterSource implements DeadLetterSource {
  constructor(
    private readonly index: SqsQueueIndex,
    private readonly clock: Clock,
    private readonly maxReceiveCount: number,
  ) {}

  async unreported(limit: number): Promise<DeadLetter[]> {
    const now = this.clock.now();
    const out: DeadLetter[] = [];
    for (const item of await this.index.queryDead(now, limit)) {
      const entry = toEntry(item, now, this.maxReceiveCount);
      if (entry?.status !== 'dead' || !item.lease) continue;
      out.push({ entry, token: JSON.stringify({ id: item.id, lease: item.lease } satisfies Token) });
    }
    return out;
  }

  claim(token: string, forMs: number): Promise<boolean> {
    const t = JSON.parse(token) as Token;
    const now = this.clock.now();
    return this.index.claimDeadReport(t.id, t.lease, now + forMs, now);
  }

  async reported(token: string): Promise<void> {
    const t = JSON.parse(token) as Token;
    await this.index.deadReported(t.id, t.lease);
  }
}
