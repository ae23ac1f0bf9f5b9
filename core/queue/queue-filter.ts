/**
 * Which queued jobs an operator means: a filter over the operator's view of the queue (sender,
 * recipient, recipient domain, age, state), used by `queue list` and by the bulk actions. Pure:
 * no I/O, no failures. On SQS only the jobs operators can see (the index) are matched.
 */
import type { QueueEntry, QueueEntryStatus } from '../ports/mail-queue.ts';

/** A queue status, or `deferred`: a waiting job (ready or delayed) that had an attempt already. */
export type FilterState = QueueEntryStatus | 'deferred';

export const FILTER_STATES: readonly FilterState[] = [
  'ready',
  'in-flight',
  'delayed',
  'dead',
  'held',
  'deferred',
];

export interface QueueFilter {
  /** Envelope sender, exact and case-insensitive ('' is <>), or '@domain' for any sender there. */
  readonly sender?: string;
  /** Any recipient of the job (delivered address or as given at RCPT), case-insensitive. */
  readonly recipient?: string;
  /** Any recipient's domain, case-insensitive. */
  readonly domain?: string;
  /** Accepted more than this long ago (ms). */
  readonly olderThanMs?: number;
  /** Accepted less than this long ago (ms). */
  readonly newerThanMs?: number;
  readonly state?: FilterState;
}

/** True when the filter names nothing (bulk actions refuse it: they need --all or a filter). */
export function isEmptyFilter(f: QueueFilter): boolean {
  return Object.values(f).every((v) => v === undefined);
}

/** The status `QueueOperator.list` can narrow by for this filter (deferred is ready or delayed). */
export function listStatus(f: QueueFilter): QueueEntryStatus | undefined {
  return f.state === 'deferred' ? undefined : f.state;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

function senderMatches(want: string, mailFrom: string): boolean {
  const from = mailFrom.toLowerCase();
  if (want.startsWith('@')) return from !== '' && domainOf(from) === want.slice(1);
  return from === want;
}

function stateMatches(want: FilterState, e: QueueEntry): boolean {
  if (want !== 'deferred') return e.status === want;
  return (e.status === 'ready' || e.status === 'delayed') && e.job.attempts > 0;
}

export function matchesFilter(f: QueueFilter, e: QueueEntry, now: number): boolean {
  const { job } = e;
  const rcpts = job.envelope.recipients;
  const age = now - job.createdAt;
  if (f.state !== undefined && !stateMatches(f.state, e)) return false;
  if (f.sender !== undefined && !senderMatches(f.sender.toLowerCase(), job.envelope.mailFrom)) return false;
  if (f.recipient !== undefined) {
    const want = f.recipient.toLowerCase();
    if (!rcpts.some((r) => r.address.toLowerCase() === want || r.original.toLowerCase() === want))
      return false;
  }
  if (f.domain !== undefined) {
    const want = f.domain.toLowerCase();
    if (!rcpts.some((r) => domainOf(r.address) === want)) return false;
  }
  if (f.olderThanMs !== undefined && !(age > f.olderThanMs)) return false;
  if (f.newerThanMs !== undefined && !(age < f.newerThanMs)) return false;
  return true;
}
