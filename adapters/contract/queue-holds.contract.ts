/**
 * QueueHolds contract: directives are added once per kind and value (a second add answers false),
 * stored normalised (job ids upper case, addresses and domains lower case), listed sorted by kind
 * then value with their time and reason, and removed once (a second remove answers false). The
 * factory returns an empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueueHolds } from '../../core/ports/queue-holds.ts';

export interface QueueHoldsFixture {
  readonly holds: QueueHolds;
  cleanup(): Promise<void>;
}

export function queueHoldsContract(name: string, make: () => Promise<QueueHoldsFixture>): void {
  describe(`QueueHolds contract: ${name}`, () => {
    let fx: QueueHoldsFixture;
    let holds: QueueHolds;
    beforeEach(async () => {
      fx = await make();
      holds = fx.holds;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('adds each directive once and lists them sorted, normalised, with time and reason', async () => {
      expect(await holds.list()).toEqual([]);
      expect(
        await holds.add({ kind: 'domain', value: 'Flood.Example', createdAt: 1000, reason: 'spam run' }),
      ).toBe(true);
      expect(await holds.add({ kind: 'job', value: '01jd0q5z8x3v7k2m4n6p', createdAt: 2000 })).toBe(true);
      expect(await holds.add({ kind: 'account', value: 'Bob@Example.ORG', createdAt: 3000 })).toBe(true);
      expect(await holds.add({ kind: 'domain', value: 'flood.example', createdAt: 4000 })).toBe(false);
      expect(await holds.list()).toEqual([
        { kind: 'account', value: 'bob@example.org', createdAt: 3000 },
        { kind: 'domain', value: 'flood.example', createdAt: 1000, reason: 'spam run' },
        { kind: 'job', value: '01JD0Q5Z8X3V7K2M4N6P', createdAt: 2000 },
      ]);
    });

    it('removes a directive once, by any spelling of its value', async () => {
      await holds.add({ kind: 'account', value: 'bob@example.org', createdAt: 1 });
      await holds.add({ kind: 'domain', value: 'example.org', createdAt: 1 });
      expect(await holds.remove('account', 'BOB@example.org')).toBe(true);
      expect(await holds.remove('account', 'bob@example.org')).toBe(false);
      expect(await holds.remove('job', 'example.org')).toBe(false);
      expect((await holds.list()).map((h) => `${h.kind}:${h.value}`)).toEqual(['domain:example.org']);
    });
  });
}
