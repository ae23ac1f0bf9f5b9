/**
 * What the SQS mail queue puts in a message (a "copy" of a job: the job, its generation and
 * whether the index knows it) and in a receipt (the SQS receipt handle plus what ack, extend and
 * reschedule need without a lookup). Also the lease deadlines this process knows, so a receipt
 * whose lease has run out is refused before any request, and SQS's limits on delays and
 * visibility. Failure: malformed input throws (LeaseLostError for a receipt not issued here).
 */
import { randomInt } from 'node:crypto';
import { LeaseLostError, QueueDelayError } from '../../core/ports/errors.ts';
import { MAX_DELAY_SECONDS, type QueueJob } from '../../core/ports/mail-queue.ts';

/** The message body of one copy. */
export interface CopyBody {
  readonly v: 1;
  /** Generation: unique, and larger for every later state of the same job. */
  readonly g: number;
  /** Set when the index has an item for this copy: its receive must consult the index. */
  readonly x?: 1;
  readonly job: QueueJob;
}

export function encodeCopy(job: QueueJob, gen: number, indexed: boolean): string {
  const body: CopyBody = indexed ? { v: 1, g: gen, x: 1, job } : { v: 1, g: gen, job };
  return JSON.stringify(body);
}

/** The copy inside an SQS message body; undefined for a body that is not one (left to go dead). */
export function decodeCopy(body: string | undefined): CopyBody | undefined {
  try {
    const c = JSON.parse(body ?? '') as Partial<CopyBody>;
    if (c?.v !== 1 || typeof c.g !== 'number' || typeof c.job?.id !== 'string') return undefined;
    return c as CopyBody;
  } catch {
    return undefined;
  }
}

/**
 * A new generation above `prev`: microseconds of wall time plus a random tail, so copies made by
 * different processes never share one and later states normally get larger ones.
 */
export function nextGeneration(prev = 0): number {
  return Math.max(prev + 1, Date.now() * 1000 + randomInt(1000));
}

export interface Receipt {
  /** SQS receipt handle. */
  readonly h: string;
  /** Job id. */
  readonly id: string;
  /** SQS MessageId of the copy. */
  readonly m: string;
  /** Generation of the copy. */
  readonly g: number;
  /** ms since epoch when the lease taken at receive ends (before any extend). */
  readonly d: number;
  /** Lease token when the receive wrote the index (the job is indexed). */
  readonly l?: string;
}

export function encodeReceipt(r: Receipt): string {
  return JSON.stringify(r);
}

/** A receipt this queue issued; anything else is a lease nobody holds. */
export function decodeReceipt(receipt: string): Receipt {
  try {
    const r = JSON.parse(receipt) as Partial<Receipt>;
    if (
      typeof r.h === 'string' &&
      typeof r.id === 'string' &&
      typeof r.g === 'number' &&
      typeof r.d === 'number'
    ) {
      return r as Receipt;
    }
  } catch {}
  throw new LeaseLostError(receipt);
}

/**
 * Lease deadlines as this process knows them: the receive's deadline, moved by extends.
 * Deadlines are taken before the request, so they end no later than SQS's own.
 */
export class LeaseDeadlines {
  private readonly extended = new Map<string, number>();

  deadline(r: Receipt): number {
    return Math.max(r.d, this.extended.get(r.h) ?? 0);
  }

  extend(r: Receipt, until: number): void {
    this.extended.set(r.h, until);
    // Receipts that are never acked (a crashed delivery) must not pile up.
    if (this.extended.size > 10_000) {
      const now = Date.now();
      for (const [h, d] of this.extended) if (d < now) this.extended.delete(h);
    }
  }

  forget(r: Receipt): void {
    this.extended.delete(r.h);
  }
}

export function checkDelay(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DELAY_SECONDS) {
    throw new QueueDelayError(seconds);
  }
  return Math.ceil(seconds);
}

/** SQS takes whole seconds, at most 12 hours. */
export function checkVisibility(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 43_200) {
    throw new RangeError(`visibility ${seconds}s must be within 0..43200 seconds`);
  }
  return Math.ceil(seconds);
}

export function secondsUntil(at: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((at - now) / 1000)));
}

/** What SQS answers for a receipt whose message was received again (or is gone). */
export function isStaleReceiptError(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  if (e?.name === 'MessageNotInflight' || e?.name === 'ReceiptHandleIsInvalid') return true;
  return /InvalidParameterValue/.test(e?.name ?? '') && /receipt ?handle/i.test(e?.message ?? '');
}
