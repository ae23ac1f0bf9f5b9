/**
 * Queue holds: the operator's standing directives that keep mail from being delivered — one job
 * (by queue id), every job for an account (a recipient address: "suspend account queue"), or
 * every job to a destination domain. They live in shared storage so every queue processor sees
 * them (through a short cache) and parks a job it receives while a directive covers it; operators
 * add and remove them. Values are stored normalised: job ids upper case, addresses and domains
 * lower case. Failure: storage faults propagate.
 */

export type QueueHoldKind = 'job' | 'account' | 'domain';

export const QUEUE_HOLD_KINDS: readonly QueueHoldKind[] = ['job', 'account', 'domain'];

export interface QueueHold {
  readonly kind: QueueHoldKind;
  /** Queue id (kind job), address (account) or domain, normalised (see normaliseHoldValue). */
  readonly value: string;
  /** ms since epoch when the directive was added. */
  readonly createdAt: number;
  /** Operator's note, shown by `queue holds`. */
  readonly reason?: string;
}

/** What queue processors read. */
export interface QueueHoldsReader {
  /** Every directive, sorted by kind then value. */
  list(): Promise<QueueHold[]>;
}

export interface QueueHolds extends QueueHoldsReader {
  /** Add a directive; false (nothing changed) when the same kind and value is already held. */
  add(hold: QueueHold): Promise<boolean>;
  /** Remove a directive; false when there was none. */
  remove(kind: QueueHoldKind, value: string): Promise<boolean>;
}

/** The stored form of a value: job ids upper case, addresses and domains lower case. */
export function normaliseHoldValue(kind: QueueHoldKind, value: string): string {
  const v = value.trim();
  return kind === 'job' ? v.toUpperCase() : v.toLowerCase();
}
