/**
 * Retry schedule for queued recipients, Postfix-like by default: first retry after 5 minutes,
 * doubling up to 1 hour between attempts, a delayed-delivery warning after 4 hours, and a
 * lifetime of 5 days after which pending recipients fail permanently. Every figure is
 * configurable (tests compress them to seconds). Pure functions of (schedule, job times, now).
 */

export interface RetrySchedule {
  readonly firstRetrySeconds: number;
  readonly maxRetrySeconds: number;
  readonly backoffFactor: number;
  readonly warnAfterSeconds: number;
  readonly lifetimeSeconds: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  firstRetrySeconds: 300,
  maxRetrySeconds: 3600,
  backoffFactor: 2,
  warnAfterSeconds: 4 * 3600,
  lifetimeSeconds: 5 * 24 * 3600,
};

/** Seconds to wait after the `attempts`-th failed attempt (1-based). */
export function retryDelaySeconds(schedule: RetrySchedule, attempts: number): number {
  const n = Math.max(1, attempts);
  const delay = schedule.firstRetrySeconds * schedule.backoffFactor ** (n - 1);
  return Math.min(schedule.maxRetrySeconds, Math.max(0, delay));
}

/** True once the message has been queued longer than its lifetime. */
export function isExpired(schedule: RetrySchedule, createdAt: number, now: number): boolean {
  return now - createdAt >= schedule.lifetimeSeconds * 1000;
}

/** True when a delay warning is due: past the warning time, not sent yet, and not expired. */
export function isWarningDue(
  schedule: RetrySchedule,
  createdAt: number,
  warnedAt: number | undefined,
  now: number,
) {
  return (
    warnedAt === undefined &&
    schedule.warnAfterSeconds < schedule.lifetimeSeconds &&
    now - createdAt >= schedule.warnAfterSeconds * 1000 &&
    !isExpired(schedule, createdAt, now)
  );
}

/**
 * When the next attempt should happen: after the backoff delay, but never after the lifetime
 * ends (so the final attempt and the failure report happen on time).
 */
export function nextAttemptAt(
  schedule: RetrySchedule,
  attempts: number,
  createdAt: number,
  now: number,
): number {
  const byBackoff = now + retryDelaySeconds(schedule, attempts) * 1000;
  const lifetimeEnd = createdAt + schedule.lifetimeSeconds * 1000;
  return Math.max(now, Math.min(byBackoff, lifetimeEnd));
}
