/**
 * Retry schedule for queued recipients: backoff between attempts up to a ceiling, a
 * delayed-delivery warning, and a lifetime after which pending recipients fail permanently.
 * The Postfix-like defaults are DEFAULT_RETRY (core/config/defaults.ts); every figure is
 * configurable (tests compress them to seconds): the environment gives each processor its default,
 * and the cluster's queue settings (retry, lifetimeSeconds) override it at runtime
 * (withClusterSettings). Pure functions of (schedule, job times, now).
 */

import { DEFAULT_RETRY } from '../config/defaults.ts';
import type { QueueSettings } from '../ports/cluster-control.ts';

export interface RetrySchedule {
  readonly firstRetrySeconds: number;
  readonly maxRetrySeconds: number;
  readonly backoffFactor: number;
  readonly warnAfterSeconds: number;
  readonly lifetimeSeconds: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = DEFAULT_RETRY;

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

/** The schedule a processor applies: the cluster's stored retry and lifetime over its environment default. */
export function withClusterSettings(
  defaults: RetrySchedule,
  settings: Pick<QueueSettings, 'retry' | 'lifetimeSeconds'>,
): RetrySchedule {
  return {
    ...defaults,
    ...(settings.retry
      ? { firstRetrySeconds: settings.retry.firstSeconds, maxRetrySeconds: settings.retry.maxSeconds }
      : {}),
    ...(settings.lifetimeSeconds !== undefined ? { lifetimeSeconds: settings.lifetimeSeconds } : {}),
  };
}

/** True when two schedules differ in any figure. */
export function scheduleChanged(a: RetrySchedule, b: RetrySchedule): boolean {
  return (
    a.firstRetrySeconds !== b.firstRetrySeconds ||
    a.maxRetrySeconds !== b.maxRetrySeconds ||
    a.backoffFactor !== b.backoffFactor ||
    a.warnAfterSeconds !== b.warnAfterSeconds ||
    a.lifetimeSeconds !== b.lifetimeSeconds
  );
}
