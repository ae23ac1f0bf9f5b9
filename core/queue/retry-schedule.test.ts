import { describe, expect, it } from 'vitest';
import {
  isExpired,
  isWarningDue,
  nextAttemptAt,
  retryDelaySeconds,
  DEFAULT_RETRY_SCHEDULE as S,
} from './retry-schedule.ts';

describe('retry schedule', () => {
  it('starts at 5 minutes and doubles up to an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => retryDelaySeconds(S, n))).toEqual([
      300, 600, 1200, 2400, 3600, 3600, 3600,
    ]);
  });

  it('expires after 5 days and warns once after 4 hours', () => {
    const t0 = 1_000_000;
    expect(isExpired(S, t0, t0 + 5 * 86400_000 - 1)).toBe(false);
    expect(isExpired(S, t0, t0 + 5 * 86400_000)).toBe(true);
    expect(isWarningDue(S, t0, undefined, t0 + 4 * 3600_000 - 1)).toBe(false);
    expect(isWarningDue(S, t0, undefined, t0 + 4 * 3600_000)).toBe(true);
    expect(isWarningDue(S, t0, t0 + 4 * 3600_000, t0 + 5 * 3600_000)).toBe(false);
    expect(isWarningDue(S, t0, undefined, t0 + 6 * 86400_000)).toBe(false);
  });

  it('never schedules past the end of the lifetime', () => {
    const t0 = 0;
    const nearEnd = 5 * 86400_000 - 60_000;
    expect(nextAttemptAt(S, 10, t0, nearEnd)).toBe(5 * 86400_000);
    expect(nextAttemptAt(S, 1, t0, 1000)).toBe(1000 + 300_000);
  });
});
