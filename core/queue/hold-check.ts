/**
 * The queue processor's hold step: before a received job is attempted, the operator's hold
 * directives (read through a short cache) are checked against it — its queue id, and the address
 * and domain of each pending recipient. A job any directive covers is parked whole in the held
 * state (no attempt made, no attempt counted, its lifetime clock stopped: a held job is never
 * expired or bounced while held); recipients of the same job that no directive names wait with
 * it. Splitting a job is left out on purpose: one job, one state, one DSN story.
 * A stale cache must never park a job for good: a release removes the directive and then un-parks
 * the held jobs it covered, so a job parked afterwards under the removed directive would have
 * nothing left to release it. Hence (parking is rare, so the reads cost nothing on the normal
 * path): a directive seen in the cache is confirmed by an uncached read before parking (a stale
 * one lets the job be delivered at once, and refreshes the cache), and after the park the
 * directives are read uncached once more — a release that removed the directive between the
 * confirmation and the park found no held job to release, so if no directive covers the job now,
 * this processor makes it ready again itself. Storage reads and writes are strongly consistent
 * on both adapters (SQLite; DynamoDB consistent reads), so one of the two always sees the other.
 * Failure: a holds read or a park that fails propagates, so the job is not delivered and comes
 * back after its lease (a hold is never skipped because storage hiccupped). A fault in the
 * re-check after the park propagates too and leaves the job held; it shows in
 * `queue list --state held` and `queue release <id>` frees it.
 */
import { domainOf } from '../mail/address.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { LeasedJob, MailQueue, QueueJob, QueueOperator } from '../ports/mail-queue.ts';
import type { QueueHold, QueueHoldsReader } from '../ports/queue-holds.ts';
import { TtlCache } from '../util/ttl-cache.ts';

/** Where the hold step reads directives: `list` may be cached; `fresh` reads storage now. */
export interface HoldsSource extends QueueHoldsReader {
  /** The directives as storage has them now (and the cache refilled). Absent: `list` is uncached. */
  fresh?(): Promise<QueueHold[]>;
}

/** The directives read through a cache of `ttlMs`: one read per processor per period, not per job. */
export function cachedHolds(holds: QueueHoldsReader, clock: Clock, ttlMs: number): HoldsSource {
  if (ttlMs <= 0) return holds;
  const cache = new TtlCache<QueueHold[]>(clock, ttlMs, 1);
  const load = () => cache.get('all', () => holds.list());
  return {
    list: load,
    fresh: () => {
      cache.clear(); // a load started after this call, shared with concurrent cached readers
      return load();
    },
  };
}

const readFresh = (holds: HoldsSource) => (holds.fresh ? holds.fresh() : holds.list());

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
  /** `releaseNow` un-parks a job whose directive was released while it was being parked. */
  readonly queue: MailQueue & Pick<QueueOperator, 'releaseNow'>;
  readonly holds?: HoldsSource;
}

/** Park the job when a directive covers it; true when it was parked (its lease is gone: do not attempt it). */
export async function parkIfHeld(
  deps: HoldCheckDeps,
  leased: LeasedJob,
  job: QueueJob,
  log: Logger,
): Promise<boolean> {
  const holds = deps.holds;
  if (!holds) return false;
  let hold = holdCovering(await holds.list(), job);
  // A cached directive may have been released since: confirm it before parking.
  if (hold && holds.fresh) hold = holdCovering(await holds.fresh(), job);
  if (!hold) return false;
  await deps.queue.park(leased.receipt, job);
  log.info({ event: 'queue.held', queueId: job.id, holdKind: hold.kind, holdValue: hold.value });
  // A release between the confirmation and the park saw no held job: un-park it here then.
  if (holdCovering(await readFresh(holds), job)) return true;
  const released = await deps.queue.releaseNow(job.id, { clearNotBefore: true });
  log.info({ event: 'queue.hold-released', queueId: job.id, holdKind: hold.kind, released });
  return true;
}
