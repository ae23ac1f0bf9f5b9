import { describe, expect, it } from 'vitest';
import { SessionGuard, type SessionLimits } from './session-guard.ts';

const LIMITS: SessionLimits = {
  invalidRecipientsPerSession: 3,
  badCommandsPerSession: 2,
  commandsPerSession: 6,
  sessionSeconds: 60,
  tarpitStepMs: 1000,
  tarpitMaxMs: 2500,
};

describe('SessionGuard', () => {
  it('delays each error reply longer than the last, up to the cap, then closes naming the limit', () => {
    const g = new SessionGuard(LIMITS, 0);
    const verdicts = [1, 2, 3, 4].map(() => g.invalidRecipient());
    expect(verdicts.map((v) => v.delayMs)).toEqual([0, 1000, 2000, 2500]);
    expect(verdicts.slice(0, 3).every((v) => v.close === undefined)).toBe(true);
    expect(verdicts[3]!.close).toEqual({
      code: 421,
      enhanced: '4.7.0',
      text: 'Too many invalid recipients in this session (limit 3), closing connection',
    });
    expect(g.closedBy).toBe('invalid-recipients');
  });

  it('shares one tarpit between unknown commands and invalid recipients', () => {
    const g = new SessionGuard(LIMITS, 0);
    expect(g.command(0, true).delayMs).toBe(0);
    expect(g.invalidRecipient().delayMs).toBe(1000);
    expect(g.command(0, false)).toEqual({ delayMs: 0 });
    expect(g.badCommand().delayMs).toBe(2000);
    expect(g.command(0, true).close?.text).toBe(
      'Too many unknown or bad commands in this session (limit 2), closing connection',
    );
  });

  it('closes after too many commands and once the session is too old', () => {
    const g = new SessionGuard(LIMITS, 1000);
    for (let i = 0; i < 6; i++) expect(g.command(1000, false).close).toBeUndefined();
    expect(g.command(1000, false).close?.text).toBe(
      'Too many commands in this session (limit 6), closing connection',
    );
    const old = new SessionGuard(LIMITS, 1000);
    expect(old.deadline()).toBe(61_000);
    expect(old.expired(60_999)).toBeUndefined();
    expect(old.command(61_000, false).close).toEqual({
      code: 421,
      enhanced: '4.7.0',
      text: 'Session longer than 60 seconds (the limit), closing connection',
    });
    expect(old.closedBy).toBe('duration');
  });

  it('treats 0 as no limit', () => {
    const off = { ...LIMITS, invalidRecipientsPerSession: 0, commandsPerSession: 0, sessionSeconds: 0 };
    const g = new SessionGuard(off, 0);
    for (let i = 0; i < 50; i++) expect(g.invalidRecipient().close).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(g.command(1e12, false).close).toBeUndefined();
    expect(g.deadline()).toBeUndefined();
  });
});
