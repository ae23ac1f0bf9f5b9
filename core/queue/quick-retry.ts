/**
 * Quick retry of an account that is moving between backends (the lease handoff). A recipient's
 * temporary outcome says so as a typed fact: the backend asked is stopping, could not be reached,
 * no backend is live (`moving`), or the account is open on an owner that is not live (a backend
 * that just left, or another Lambda execution environment). Such recipients are routed again at
 * once with fresh registry and lease reads (rerouteMoving); those still moving are tried again
 * after a few seconds instead of the backoff (quickRetryAt), for a bounded window after the move
 * was first seen, then the normal backoff applies. Quick retries do not count toward the backoff
 * (backoffAttempts), so a long move does not push the next normal retry out. Pure decisions apart
 * from the re-route; routing and channel faults propagate like any attempt's.
 */
import { accountFactOf, type MoveCause, type RecipientOutcome } from '../mail/outcome.ts';
import type { AccountLeases } from '../ports/account-leases.ts';
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRecipient, QueueJob } from '../ports/mail-queue.ts';
import { type AttemptDeps, attemptDelivery, type Outcomes } from './attempt-delivery.ts';

export interface QuickRetrySettings {
  /** Wait before the next attempt while the account is moving. */
  readonly delaySeconds: number;
  /** How long after the move was first seen quick retries go on (then the backoff). */
  readonly windowSeconds: number;
}

/** Why a recipient's account is moving, as the queue decides it. */
export type MoveReason = MoveCause | 'owner-not-live';

/** Uncached routing reads (the processor's usual ones are cached for a second). */
export interface FreshRouting {
  readonly registry: BackendRegistry;
  readonly leases: AccountLeases;
}

/** Why this outcome says the account is moving, or undefined when it does not. */
export function moveReason(outcome: RecipientOutcome, live: readonly BackendInfo[]): MoveReason | undefined {
  const fact = accountFactOf(outcome);
  if (fact?.state === 'moving') return fact.why;
  if (fact?.state === 'open-elsewhere' && !live.some((b) => b.id === fact.owner)) return 'owner-not-live';
  return undefined;
}

function movingOf(attempted: readonly JobRecipient[], outcomes: Outcomes, live: readonly BackendInfo[]) {
  return attempted.filter((r) => {
    const outcome = outcomes.get(r.address);
    return outcome !== undefined && moveReason(outcome, live) !== undefined;
  });
}

/**
 * Route the recipients whose account is moving once more, at once, with fresh reads; their
 * outcomes in `outcomes` become the second attempt's. Returns the addresses still moving.
 */
export async function rerouteMoving(
  deps: AttemptDeps & { readonly freshRouting?: FreshRouting },
  job: QueueJob,
  attempted: readonly JobRecipient[],
  outcomes: Outcomes,
  log: Logger,
): Promise<Set<string>> {
  const mayMove = [...outcomes.values()].some((o) => {
    const state = accountFactOf(o)?.state;
    return state === 'moving' || state === 'open-elsewhere';
  });
  if (!mayMove) return new Set();
  const moving = movingOf(attempted, outcomes, await deps.registry.listLive());
  if (moving.length === 0) return new Set();
  const fresh = deps.freshRouting ?? deps;
  const again = await attemptDelivery(
    { ...deps, registry: fresh.registry, leases: fresh.leases },
    job,
    moving,
  );
  for (const [rcpt, outcome] of again) outcomes.set(rcpt, outcome);
  const still = movingOf(moving, outcomes, await fresh.registry.listLive());
  log.info({ event: 'queue.rerouted', recipients: moving.length, stillMoving: still.length });
  return new Set(still.map((r) => r.address));
}

/**
 * When to try a job with a moving account again: `delaySeconds` from now while inside the
 * window since the move was first seen, else undefined (the backoff decides). Keeps the job's
 * bookkeeping: `movingSince` while moving (cleared once nothing is), `quickRetries` counted.
 */
export function quickRetryAt(
  settings: QuickRetrySettings,
  job: QueueJob,
  moving: boolean,
  now: number,
): number | undefined {
  if (!moving) {
    delete job.movingSince;
    return undefined;
  }
  job.movingSince ??= now;
  if (now - job.movingSince >= settings.windowSeconds * 1000) return undefined;
  job.quickRetries = (job.quickRetries ?? 0) + 1;
  return now + settings.delaySeconds * 1000;
}

/** The attempts that count toward the backoff: every attempt but those a quick retry made. */
export function backoffAttempts(job: QueueJob): number {
  return Math.max(1, job.attempts - (job.quickRetries ?? 0));
}
