/**
 * ClientSessions contract: a gauge of live sessions per client address — open counts the
 * address's live sessions (itself included), close and expiry take them away, refresh keeps them
 * (but never brings back one already gone), addresses are independent, and two handles on the
 * same store (two frontends) see each other's sessions. The factory returns an empty store (and
 * a second handle on it) whose time comes from `clock`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientSessions } from '../../core/ports/client-sessions.ts';
import type { TestClock } from './test-clock.ts';

export interface ClientSessionsFixture {
  readonly sessions: ClientSessions;
  /** Another handle on the same store, as a second frontend process would have. */
  readonly other: ClientSessions;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

const TTL = 60_000;

export function clientSessionsContract(name: string, make: () => Promise<ClientSessionsFixture>): void {
  describe(`ClientSessions contract: ${name}`, () => {
    let fx: ClientSessionsFixture;
    let s: ClientSessions;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      s = fx.sessions;
      clock = fx.clock;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('counts the live sessions of an address, the new one included', async () => {
      expect(await s.open('192.0.2.1', 'fe-1:a', TTL)).toBe(1);
      expect(await s.open('192.0.2.1', 'fe-1:b', TTL)).toBe(2);
      expect(await s.open('192.0.2.2', 'fe-1:c', TTL)).toBe(1);
      expect(await s.count('192.0.2.1')).toBe(2);
      expect(await s.count('198.51.100.7')).toBe(0);
    });

    it('counts a key opened twice once', async () => {
      await s.open('192.0.2.1', 'fe-1:a', TTL);
      expect(await s.open('192.0.2.1', 'fe-1:a', TTL)).toBe(1);
    });

    it('forgets closed sessions; closing an unknown one is a no-op', async () => {
      await s.open('192.0.2.1', 'fe-1:a', TTL);
      await s.open('192.0.2.1', 'fe-1:b', TTL);
      await s.close('192.0.2.1', 'fe-1:a');
      await s.close('192.0.2.1', 'fe-1:nope');
      expect(await s.count('192.0.2.1')).toBe(1);
      expect(await s.open('192.0.2.1', 'fe-1:c', TTL)).toBe(2);
    });

    it('lets sessions expire unless refreshed, and never revives an expired one', async () => {
      await s.open('192.0.2.1', 'fe-1:kept', TTL);
      await s.open('192.0.2.1', 'fe-1:dropped', TTL);
      clock.advance(TTL - 1_000);
      await s.refresh([{ ip: '192.0.2.1', sessionKey: 'fe-1:kept' }], TTL);
      clock.advance(2_000);
      expect(await s.count('192.0.2.1')).toBe(1);
      await s.refresh(
        [
          { ip: '192.0.2.1', sessionKey: 'fe-1:dropped' },
          { ip: '192.0.2.1', sessionKey: 'fe-1:never' },
        ],
        TTL,
      );
      expect(await s.count('192.0.2.1')).toBe(1);
      clock.advance(TTL);
      expect(await s.count('192.0.2.1')).toBe(0);
      expect(await s.open('192.0.2.1', 'fe-1:new', TTL)).toBe(1);
    });

    it('is shared by every handle on the store (every frontend)', async () => {
      await s.open('192.0.2.1', 'fe-1:a', TTL);
      expect(await fx.other.open('192.0.2.1', 'fe-2:a', TTL)).toBe(2);
      await fx.other.close('192.0.2.1', 'fe-2:a');
      expect(await s.count('192.0.2.1')).toBe(1);
    });

    it('counts every concurrent open of one address', async () => {
      const counts = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? s : fx.other).open('192.0.2.9', `k${i}`, TTL)),
      );
      expect(Math.max(...counts)).toBe(10);
      expect(await s.count('192.0.2.9')).toBe(10);
    });
  });
}
