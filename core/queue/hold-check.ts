/**
 * The queue processor's hold step: before a received job is attempted, the operator's hold
 * directives (read through a short cache) are checked against it — its queue id, and the address
 * and domain of each pending recipient. A job any directive covers is parked whole in the held
 * state (no attempt made, no attempt counted, its lifetime clock stopped: a held job is never
 * expired or bounced while held); recipients of the same job that no directive names wait with
 * it. Splitting a job is left out on purpose: one job, one state, one DSN story.
 * Failure: a holds read or a park that fails propagates, so the job is not delivered and comes
 * back after its lease (a hold is never skipped because storage hiccupped).
 */
import { domainOf } from '../mail/address.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { LeasedJob, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { QueueHold, QueueHoldsReader } from '../ports/queue-holds.ts';
import { TtlCache } from '../util/ttl-cache.ts';

/** The directives read through a cache of `ttlMs`: one read per processor per period, not per job. */
export function cachedHolds(holds: QueueHoldsReader, clock: Clock, ttlMs: number): QueueHoldsReader {
  if (ttlMs <= 0) return holds;
  const cache = new TtlCache<QueueHold[]>(clock, ttlMs, 1);
  return { list: () => cache.get('all', () => holds.list()) };
}

/** The first directive that covers the job (its id, or a pending recipient's account or domain). */
export function holdCovering(holds: readonly QueueHold[], job: QueueJob): QueueHold | undefined {
  if (holds.length === 0) return undefined;
  const id = job.id.toUpperCase();
  const pending = job.envelope.recipients.filter((r) => r.state === 'pending');
  const accounts = new Set(pending.map((r) => r.address.toLowerCase()));
  const domains = new Set(pending.map((r) => domainOf(r.address).toLowerCase()));
  return holds.find(
    (h) =>
      (h.kind === 'job' && h.value === id) ||
      (h.kind === 'account' && accounts.has(h.value)) ||
      (h.kind === 'domain' && domains.has(h.value)),
  );
}

export interface HoldCheckDeps {
  readonly queue: MailQueue;
  readonly holds?: QueueHoldsReader;
}

/** Park the job when a directive covers it; true when it was parked (do not attempt it). */
export async function parkIfHeld(
  deps: HoldCheckDeps,
  leased: LeasedJob,
  job: QueueJob,
  log: Logger,
): Promise<boolean> {
  if (!deps.holds) return false;
  const hold = holdCovering(await deps.holds.list(), job);
  if (!hold) return false;
  await deps.queue.park(leased.receipt, job);
  log.info({ event: 'queue.held', queueId: job.id, holdKind: hold.kind, holdValue: hold.value });
  return true;
}
