import { describe, expect, it } from 'vitest';
import type { TestClock } from '../../adapters/contract/test-clock.ts';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import { cachedLeaseReads, cachedRegistry } from './routing-caches.ts';

describe('routing caches', () => {
  it('serve backend lists and lease owners for the TTL, then read again', async () => {
    const t = await tempStorage();
    try {
      const clock: TestClock = t.clock;
      const registry = cachedRegistry(t.storage.backends, clock, 2_000);
      const leases = cachedLeaseReads(t.storage.leases, clock, 2_000);
      await registry.heartbeat({ id: 'b1', address: '127.0.0.1:1', kind: 'lmtp' }, 60_000);
      expect((await registry.listLive()).map((b) => b.id)).toEqual(['b1']);
      await t.storage.backends.heartbeat({ id: 'b2', address: '127.0.0.1:2', kind: 'lmtp' }, 60_000);
      expect((await registry.listLive()).map((b) => b.id)).toEqual(['b1']);
      expect(await leases.get('a@example.com')).toBeUndefined();
      await t.storage.leases.acquire('a@example.com', 'b2', 60_000);
      expect(await leases.get('a@example.com')).toBeUndefined();
      clock.advance(2_001);
      expect((await registry.listLive()).map((b) => b.id)).toEqual(['b1', 'b2']);
      expect((await leases.get('a@example.com'))?.owner).toBe('b2');
    } finally {
      await t.cleanup();
    }
  });
});
