/**
 * BackendRegistry contract: heartbeats upsert a backend live for a TTL judged by the injected
 * clock, deregister removes it at once, listLive hides expired ones, listAll keeps them; both
 * lists are sorted by id. The factory returns an empty registry whose time comes from `clock`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BackendRegistry } from '../../core/ports/backend-registry.ts';
import type { TestClock } from './test-clock.ts';

export interface BackendRegistryFixture {
  readonly registry: BackendRegistry;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

export function backendRegistryContract(name: string, make: () => Promise<BackendRegistryFixture>): void {
  describe(`BackendRegistry contract: ${name}`, () => {
    let fx: BackendRegistryFixture;
    let reg: BackendRegistry;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      reg = fx.registry;
      clock = fx.clock;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('lists heartbeating backends sorted by id with their expiry', async () => {
      expect(await reg.listLive()).toEqual([]);
      await reg.heartbeat({ id: 'be-2', address: '127.0.0.1:2402', kind: 'lmtp' }, 10_000);
      await reg.heartbeat({ id: 'be-1', address: 'strato-backend', kind: 'lambda' }, 5_000);
      const t = clock.now();
      expect(await reg.listLive()).toEqual([
        { id: 'be-1', address: 'strato-backend', kind: 'lambda', expiresAt: t + 5_000 },
        { id: 'be-2', address: '127.0.0.1:2402', kind: 'lmtp', expiresAt: t + 10_000 },
      ]);
    });

    it('drops a backend that stops beating from listLive but keeps it in listAll', async () => {
      await reg.heartbeat({ id: 'a', address: 'h:1', kind: 'lmtp' }, 5_000);
      await reg.heartbeat({ id: 'b', address: 'h:2', kind: 'lmtp' }, 5_000);
      clock.advance(3_000);
      await reg.heartbeat({ id: 'b', address: 'h:3', kind: 'lmtp' }, 5_000);
      clock.advance(2_000);
      expect((await reg.listLive()).map((b) => `${b.id}@${b.address}`)).toEqual(['b@h:3']);
      expect((await reg.listAll()).map((b) => b.id)).toEqual(['a', 'b']);
      await reg.heartbeat({ id: 'a', address: 'h:1', kind: 'lmtp' }, 5_000);
      expect((await reg.listLive()).map((b) => b.id)).toEqual(['a', 'b']);
    });

    it('keeps the optional facts a heartbeat carries, and leaves them out when absent', async () => {
      await reg.heartbeat(
        { id: 'a', address: 'h:1', kind: 'lmtp', accountsOpen: 7, startedAt: 123, version: '0.1.0' },
        5_000,
      );
      await reg.heartbeat({ id: 'b', address: 'h:2', kind: 'lmtp' }, 5_000);
      const t = clock.now();
      expect(await reg.listLive()).toEqual([
        {
          id: 'a',
          address: 'h:1',
          kind: 'lmtp',
          expiresAt: t + 5_000,
          accountsOpen: 7,
          startedAt: 123,
          version: '0.1.0',
        },
        { id: 'b', address: 'h:2', kind: 'lmtp', expiresAt: t + 5_000 },
      ]);
      await reg.heartbeat({ id: 'a', address: 'h:1', kind: 'lmtp' }, 5_000);
      expect((await reg.listLive())[0]).toEqual({
        id: 'a',
        address: 'h:1',
        kind: 'lmtp',
        expiresAt: t + 5_000,
      });
    });

    it('deregisters at once, idempotently', async () => {
      await reg.heartbeat({ id: 'a', address: 'h:1', kind: 'lmtp' }, 60_000);
      await reg.deregister('a');
      await reg.deregister('a');
      await reg.deregister('never-seen');
      expect(await reg.listLive()).toEqual([]);
      expect(await reg.listAll()).toEqual([]);
    });
  });
}
