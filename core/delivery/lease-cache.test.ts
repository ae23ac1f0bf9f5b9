import { afterEach, describe, expect, it } from 'vitest';
import type { TestClock } from '../../adapters/contract/test-clock.ts';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import { type CountName, noMetrics } from '../ports/metrics.ts';
import { installMetrics } from '../util/metrics.ts';
import { LeaseCache } from './lease-cache.ts';

/** Install a recorder that counts counters by name. */
function recordCounts(): Map<CountName, number> {
  const counts = new Map<CountName, number>();
  installMetrics({
    ...noMetrics,
    count: (name, _d, v = 1) => void counts.set(name, (counts.get(name) ?? 0) + v),
  });
  return counts;
}

afterEach(() => installMetrics(noMetrics));

describe('lease cache', () => {
  it('writes the lease once per half period, then renews it; the epoch stays', async () => {
    const t = await tempStorage();
    try {
      const clock: TestClock = t.clock;
      let writes = 0;
      const leases = {
        ...t.storage.leases,
        acquire: (...args: Parameters<typeof t.storage.leases.acquire>) => {
          writes++;
          return t.storage.leases.acquire(...args);
        },
      };
      const cache = new LeaseCache();
      const first = await cache.acquire(leases, clock, 'a@example.com', 'b1', 10_000);
      clock.advance(4_000);
      const second = await cache.acquire(leases, clock, 'a@example.com', 'b1', 10_000);
      expect(writes).toBe(1);
      expect(second).toEqual(first);
      clock.advance(1_500);
      const renewed = await cache.acquire(leases, clock, 'a@example.com', 'b1', 10_000);
      expect(writes).toBe(2);
      expect(renewed.ok && renewed.lease.epoch).toBe(first.ok && first.lease.epoch);
      expect(renewed.ok && renewed.lease.expiresAt).toBe(clock.now() + 10_000);
    } finally {
      await t.cleanup();
    }
  });

  it('never answers from memory for an account another backend took, once past the half period', async () => {
    const t = await tempStorage();
    try {
      const cache = new LeaseCache();
      await cache.acquire(t.storage.leases, t.clock, 'a@example.com', 'b1', 10_000);
      t.clock.advance(10_001);
      const other = await t.storage.leases.acquire('a@example.com', 'b2', 10_000);
      expect(other.ok).toBe(true);
      const mine = await cache.acquire(t.storage.leases, t.clock, 'a@example.com', 'b1', 10_000);
      expect(mine).toMatchObject({ ok: false, heldBy: { owner: 'b2' } });
    } finally {
      await t.cleanup();
    }
  });

  it('releases every lease it holds, fenced by epoch, so another backend opens the account at once', async () => {
    const t = await tempStorage();
    try {
      const cache = new LeaseCache();
      const { leases } = t.storage;
      await cache.acquire(leases, t.clock, 'a@example.com', 'b1', 10_000);
      await cache.acquire(leases, t.clock, 'c@example.com', 'b1', 10_000);
      // c's lease changed hands meanwhile (expired, taken by b2): its release must not touch it.
      t.clock.advance(10_001);
      await cache.acquire(leases, t.clock, 'a@example.com', 'b1', 10_000);
      const taken = await leases.acquire('c@example.com', 'b2', 10_000);
      expect(taken.ok).toBe(true);
      expect((await leases.acquire('a@example.com', 'b2', 10_000)).ok).toBe(false);

      expect(await cache.releaseAll(leases, 'b1')).toEqual({ released: 2, failed: 0 });
      const a = await leases.acquire('a@example.com', 'b2', 10_000);
      expect(a.ok).toBe(true);
      expect((await leases.get('c@example.com'))?.owner).toBe('b2');
      expect((await leases.get('c@example.com'))?.epoch).toBe(taken.ok && taken.lease.epoch);
      // Nothing is remembered: the next delivery acquires again (and now finds b2 there).
      expect((await cache.acquire(leases, t.clock, 'a@example.com', 'b1', 10_000)).ok).toBe(false);
    } finally {
      await t.cleanup();
    }
  });

  it('counts a lease taken over from another owner (LeaseTakeovers), not a first lease or its renewal', async () => {
    const t = await tempStorage();
    try {
      const counts = recordCounts();
      const b1 = new LeaseCache();
      const b2 = new LeaseCache();
      await b1.acquire(t.storage.leases, t.clock, 'a@example.com', 'b1', 10_000);
      t.clock.advance(6_000);
      await b1.acquire(t.storage.leases, t.clock, 'a@example.com', 'b1', 10_000);
      expect(counts.get('LeaseTakeovers')).toBeUndefined();
      t.clock.advance(10_001);
      const taken = await b2.acquire(t.storage.leases, t.clock, 'a@example.com', 'b2', 10_000);
      expect(taken.ok).toBe(true);
      expect(counts.get('LeaseTakeovers')).toBe(1);
    } finally {
      await t.cleanup();
    }
  });
});
