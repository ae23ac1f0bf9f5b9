import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { type AuthLockoutLimits, authLockout, recordAuthFailure } from './auth-lockout.ts';

const LIMITS: AuthLockoutLimits = {
  authFailuresPerAddress: 4,
  authFailuresPerAccount: 2,
  authFailureWindowSeconds: 600,
};

describe('AUTH lockout', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('locks a user name after its limit of failures, from any address, until the window ends', async () => {
    const c = t.storage.counters;
    expect(await recordAuthFailure(c, LIMITS, '192.0.2.1', 'Alice@Example.com')).toEqual([]);
    expect(await authLockout(c, LIMITS, '192.0.2.1', 'alice@example.com')).toBeUndefined();
    // A spelling variant AUTH accepts for the same account shares its count.
    expect(await recordAuthFailure(c, LIMITS, '192.0.2.2', ' <alice@EXAMPLE.com>')).toEqual(['account']);
    const locked = await authLockout(c, LIMITS, '198.51.100.9', 'ALICE@example.com');
    expect(locked).toEqual({
      scope: 'account',
      reply: {
        code: 454,
        enhanced: '4.7.0',
        text: 'Too many failed authentication attempts for this account (limit 2 per 600 seconds), try again later',
      },
    });
    expect(await authLockout(c, LIMITS, '192.0.2.1', 'bob@example.com')).toBeUndefined();
    t.clock.advance(600_000);
    expect(await authLockout(c, LIMITS, '192.0.2.1', 'alice@example.com')).toBeUndefined();
  });

  it('locks a client address after its limit, whatever names it tries', async () => {
    const c = t.storage.counters;
    const results = [];
    for (const name of ['a', 'b', 'c', 'd'])
      results.push(await recordAuthFailure(c, LIMITS, '192.0.2.7', name));
    expect(results).toEqual([[], [], [], ['address']]);
    expect((await authLockout(c, LIMITS, '192.0.2.7', 'someone-new'))?.scope).toBe('address');
    expect(await authLockout(c, LIMITS, '192.0.2.8', 'someone-new')).toBeUndefined();
  });

  it('does nothing with limits of 0', async () => {
    const off = { ...LIMITS, authFailuresPerAddress: 0, authFailuresPerAccount: 0 };
    for (let i = 0; i < 5; i++) await recordAuthFailure(t.storage.counters, off, '192.0.2.1', 'x');
    expect(await authLockout(t.storage.counters, off, '192.0.2.1', 'x')).toBeUndefined();
  });
});
