/**
 * Operator hold and release (CLI `queue hold|release|holds`). A hold adds a directive (one job,
 * an account's jobs, a domain's jobs) that every queue processor applies when it receives a job
 * (hold-check.ts), and parks at once the waiting jobs the operator can see that it covers (all of
 * them on the embedded queue; on SQS the indexed ones, first-attempt jobs being parked when a
 * processor receives them). A release removes the directive and makes the held jobs it covered
 * ready at once (retry time cleared), unless another directive still covers them.
 * Failure: storage faults propagate; a directive added before a fault stays (repeat the hold).
 */
import type { Clock } from '../ports/clock.ts';
import type { QueueEntry, QueueOperator } from '../ports/mail-queue.ts';
import {
  normaliseHoldValue,
  type QueueHold,
  type QueueHoldKind,
  type QueueHolds,
} from '../ports/queue-holds.ts';
import { holdCovering } from './hold-check.ts';

export interface HoldDeps {
  readonly queue: QueueOperator;
  readonly holds: QueueHolds;
  readonly clock: Clock;
}

/** Every job the operator's view holds (bulk work reads it whole). */
export const SCAN_LIMIT = 100_000;

export interface HoldResult {
  readonly hold: QueueHold;
  /** False when the same directive existed already (nothing added; jobs still parked). */
  readonly added: boolean;
  /** Jobs parked now. */
  readonly parked: readonly string[];
  /** Covered jobs being delivered right now: a processor parks them if they come back. */
  readonly inFlight: readonly string[];
}

export async function addHold(
  deps: HoldDeps,
  kind: QueueHoldKind,
  value: string,
  reason?: string,
): Promise<HoldResult> {
  const hold: QueueHold = {
    kind,
    value: normaliseHoldValue(kind, value),
    createdAt: deps.clock.now(),
    ...(reason ? { reason } : {}),
  };
  // Directive first: a job received between the two steps is parked by its processor.
  const added = await deps.holds.add(hold);
  const candidates =
    kind === 'job'
      ? [await deps.queue.get(hold.value)].filter((e): e is QueueEntry => e !== undefined)
      : await deps.queue.list({ limit: SCAN_LIMIT });
  const parked: string[] = [];
  const inFlight: string[] = [];
  for (const e of candidates) {
    if (!holdCovering([hold], e.job) || e.status === 'held' || e.status === 'dead') continue;
    if (e.status === 'in-flight') inFlight.push(e.job.id);
    else if (await deps.queue.hold(e.job.id)) parked.push(e.job.id);
  }
  return { hold, added, parked, inFlight };
}

export type ReleaseResult =
  | {
      readonly ok: true;
      /** Whether a directive was removed (a job may be held without one, by a filtered hold). */
      readonly removed: boolean;
      /** Held jobs made ready now. */
      readonly released: readonly string[];
      /** Held jobs it covered that another directive still holds (left held). */
      readonly stillHeld: readonly { id: string; by: QueueHold }[];
    }
  | { readonly ok: false; readonly reason: 'not-held' };

/**
 * Remove the directive and release the held jobs it covers. For a job id, a job held without a
 * directive (a filtered hold) is released too. 'not-held' when there was neither.
 */
export async function releaseHold(
  deps: HoldDeps,
  kind: QueueHoldKind,
  value: string,
): Promise<ReleaseResult> {
  const v = normaliseHoldValue(kind, value);
  const removed = await deps.holds.remove(kind, v);
  const gone: QueueHold = { kind, value: v, createdAt: 0 };
  const held =
    kind === 'job'
      ? [await deps.queue.get(v)].filter((e): e is QueueEntry => e?.status === 'held')
      : await deps.queue.list({ limit: SCAN_LIMIT, status: 'held' });
  const covered = held.filter((e) => holdCovering([gone], e.job));
  if (!removed && covered.length === 0) return { ok: false, reason: 'not-held' };
  const remaining = await deps.holds.list();
  const released: string[] = [];
  const stillHeld: { id: string; by: QueueHold }[] = [];
  for (const e of covered) {
    const by = holdCovering(remaining, e.job);
    if (by) stillHeld.push({ id: e.job.id, by });
    else if (await deps.queue.releaseNow(e.job.id, { clearNotBefore: true })) released.push(e.job.id);
  }
  return { ok: true, removed, released, stillHeld };
}
