/**
 * Counters contract: fixed windows [floor(now/len)*len, +len) judged by the injected clock,
 * tryConsume that never counts past the limit, add without a limit, peek, and independence of
 * keys and window lengths. The factory returns empty counters whose time comes from `clock`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Counters } from '../../core/ports/counters.ts';
import type { TestClock } from './test-clock.ts';

export interface CountersFixture {
  readonly counters: Counters;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

export function countersContract(name: string, make: () => Promise<CountersFixture>): void {
  describe(`Counters contract: ${name}`, () => {
    let fx: CountersFixture;
    let counters: Counters;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      counters = fx.counters;
      clock = fx.clock;
      // Start 10 s into a 60 s window so window arithmetic is visible.
      clock.set(Math.floor(clock.now() / 3_600_000) * 3_600_000 + 10_000);
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('counts up to the limit and refuses beyond it without counting', async () => {
      const windowEnd = Math.floor(clock.now() / 60_000) * 60_000 + 60_000;
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await counters.tryConsume('out:alice', 60, 3));
      expect(results).toEqual([
        { allowed: true, count: 1, resetAt: windowEnd },
        { allowed: true, count: 2, resetAt: windowEnd },
        { allowed: true, count: 3, resetAt: windowEnd },
        { allowed: false, count: 3, resetAt: windowEnd },
      ]);
      expect(await counters.peek('out:alice', 60)).toBe(3);
    });

    it('consumes amounts greater than one all or nothing', async () => {
      expect((await counters.tryConsume('k', 60, 10, 4)).count).toBe(4);
      expect(await counters.tryConsume('k', 60, 10, 7)).toMatchObject({ allowed: false, count: 4 });
      expect(await counters.tryConsume('k', 60, 10, 6)).toMatchObject({ allowed: true, count: 10 });
      expect(await counters.tryConsume('k', 60, 10, 11)).toMatchObject({ allowed: false, count: 10 });
      expect(await counters.tryConsume('fresh', 60, 5, 6)).toMatchObject({ allowed: false, count: 0 });
      expect(await counters.peek('fresh', 60)).toBe(0);
    });

    it('starts every window from zero', async () => {
      const first = await counters.tryConsume('k', 60, 2);
      await counters.tryConsume('k', 60, 2);
      expect((await counters.tryConsume('k', 60, 2)).allowed).toBe(false);
      clock.set(first.resetAt - 1);
      expect((await counters.tryConsume('k', 60, 2)).allowed).toBe(false);
      clock.set(first.resetAt);
      expect(await counters.peek('k', 60)).toBe(0);
      expect(await counters.tryConsume('k', 60, 2)).toEqual({
        allowed: true,
        count: 1,
        resetAt: first.resetAt + 60_000,
      });
    });

    it('adds without a limit and peeks the current window', async () => {
      expect(await counters.add('in:bob', 3600)).toBe(1);
      expect(await counters.add('in:bob', 3600, 41)).toBe(42);
      expect(await counters.peek('in:bob', 3600)).toBe(42);
      expect(await counters.peek('in:nobody', 3600)).toBe(0);
      clock.advance(3_600_000);
      expect(await counters.peek('in:bob', 3600)).toBe(0);
    });

    it('keeps keys and window lengths apart', async () => {
      await counters.add('a', 60, 5);
      await counters.add('b', 60, 7);
      await counters.add('a', 3600, 11);
      expect(await counters.peek('a', 60)).toBe(5);
      expect(await counters.peek('b', 60)).toBe(7);
      expect(await counters.peek('a', 3600)).toBe(11);
    });

    it('never lets concurrent consumers exceed the limit', async () => {
      const results = await Promise.all(Array.from({ length: 25 }, () => counters.tryConsume('race', 60, 7)));
      expect(results.filter((r) => r.allowed)).toHaveLength(7);
      expect(await counters.peek('race', 60)).toBe(7);
      expect(
        results
          .filter((r) => r.allowed)
          .map((r) => r.count)
          .sort((x, y) => x - y),
      ).toEqual([1, 2, 3, 4, 5, 6, 7]);
    });
  });
}
