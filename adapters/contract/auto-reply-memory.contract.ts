/**
 * AutoReplyMemory contract: the first claim for (account, sender) wins, later ones within the
 * period lose, one after the period wins again (judged by the injected clock); accounts and
 * senders are independent and case-insensitive; of concurrent claims exactly one wins.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AutoReplyMemory } from '../../core/rules/index.ts';
import type { TestClock } from './test-clock.ts';

export interface AutoReplyMemoryFixture {
  readonly memory: AutoReplyMemory;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;

export function autoReplyMemoryContract(name: string, make: () => Promise<AutoReplyMemoryFixture>): void {
  describe(`AutoReplyMemory contract: ${name}`, () => {
    let fx: AutoReplyMemoryFixture;
    let memory: AutoReplyMemory;
    beforeEach(async () => {
      fx = await make();
      memory = fx.memory;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('grants once per sender per period', async () => {
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(true);
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(false);
      fx.clock.advance(7 * DAY - 1);
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(false);
      fx.clock.advance(1);
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(true);
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(false);
    });

    it('keeps accounts and senders apart, case-insensitively', async () => {
      expect(await memory.claim('alice@example.com', 'bob@example.org', DAY)).toBe(true);
      expect(await memory.claim('Alice@Example.com', 'BOB@example.org', DAY)).toBe(false);
      expect(await memory.claim('alice@example.com', 'carol@example.org', DAY)).toBe(true);
      expect(await memory.claim('dave@example.com', 'bob@example.org', DAY)).toBe(true);
    });

    it('judges each claim by its own period', async () => {
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(true);
      fx.clock.advance(2 * DAY);
      expect(await memory.claim('alice@example.com', 'bob@example.org', DAY)).toBe(true);
      expect(await memory.claim('alice@example.com', 'bob@example.org', 7 * DAY)).toBe(false);
    });

    it('lets exactly one of concurrent claims win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => memory.claim('alice@example.com', 'race@example.org', DAY)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
