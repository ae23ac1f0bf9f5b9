/**
 * Suppressions contract: an address is stored lower case, found by any case, overwritten by a
 * newer event, listed sorted by address with reason, time and detail, and removed once (a second
 * remove answers false). The factory returns an empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Suppressions } from '../../core/ports/suppressions.ts';

export interface SuppressionsFixture {
  readonly suppressions: Suppressions;
  cleanup(): Promise<void>;
}

export function suppressionsContract(name: string, make: () => Promise<SuppressionsFixture>): void {
  describe(`Suppressions contract: ${name}`, () => {
    let fx: SuppressionsFixture;
    let s: Suppressions;
    beforeEach(async () => {
      fx = await make();
      s = fx.suppressions;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('records, finds, overwrites, lists and removes suppressions', async () => {
      expect(await s.list()).toEqual([]);
      expect(await s.get('gone@example.net')).toBeUndefined();
      await s.put({ address: 'Gone@Example.NET', reason: 'bounce', at: 1000, detail: '5.1.1 user unknown' });
      await s.put({ address: 'angry@example.org', reason: 'complaint', at: 2000 });
      expect(await s.get('GONE@example.net')).toEqual({
        address: 'gone@example.net',
        reason: 'bounce',
        at: 1000,
        detail: '5.1.1 user unknown',
      });
      await s.put({ address: 'gone@example.net', reason: 'complaint', at: 3000, detail: 'abuse' });
      expect(await s.list()).toEqual([
        { address: 'angry@example.org', reason: 'complaint', at: 2000 },
        { address: 'gone@example.net', reason: 'complaint', at: 3000, detail: 'abuse' },
      ]);
      expect(await s.remove('Gone@example.net')).toBe(true);
      expect(await s.remove('gone@example.net')).toBe(false);
      expect(await s.get('gone@example.net')).toBeUndefined();
      expect((await s.list()).map((x) => x.address)).toEqual(['angry@example.org']);
    });
  });
}
