/**
 * AccountLeases contract: acquire/renew/release with expiry judged by the caller's clock and an
 * epoch that increases exactly when the owner changes, and the operator's epoch-fenced force-release. The factory returns an empty lease store
 * whose time comes from `clock`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountLeasesAdmin } from '../../core/ports/account-leases.ts';
import type { TestClock } from './test-clock.ts';

export interface AccountLeasesFixture {
  readonly leases: AccountLeasesAdmin;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

export function accountLeasesContract(name: string, make: () => Promise<AccountLeasesFixture>): void {
  describe(`AccountLeases contract: ${name}`, () => {
    let fx: AccountLeasesFixture;
    let leases: AccountLeasesAdmin;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      leases = fx.leases;
      clock = fx.clock;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    const acquired = async (account: string, owner: string, ttl: number) => {
      const r = await leases.acquire(account, owner, ttl);
      if (!r.ok) throw new Error(`expected ${owner} to get ${account}, held by ${r.heldBy.owner}`);
      return r.lease;
    };

    it('grants a free lease and renews it for the same owner with the same epoch', async () => {
      expect(await leases.get('alice@example.com')).toBeUndefined();
      const first = await acquired('alice@example.com', 'backend-a', 10_000);
      expect(first).toEqual({
        account: 'alice@example.com',
        owner: 'backend-a',
        epoch: first.epoch,
        expiresAt: clock.now() + 10_000,
      });
      expect(Number.isInteger(first.epoch)).toBe(true);
      clock.advance(5_000);
      const again = await acquired('alice@example.com', 'backend-a', 10_000);
      expect(again.epoch).toBe(first.epoch);
      expect(again.expiresAt).toBe(clock.now() + 10_000);
      expect(await leases.get('alice@example.com')).toEqual(again);
    });

    it('refuses another owner while the lease is live and names the holder', async () => {
      const a = await acquired('alice@example.com', 'backend-a', 10_000);
      clock.advance(9_999);
      const r = await leases.acquire('alice@example.com', 'backend-b', 10_000);
      expect(r).toEqual({ ok: false, heldBy: a });
      // Other accounts are independent.
      await acquired('bob@example.com', 'backend-b', 10_000);
    });

    it('hands an expired lease to a new owner with epoch + 1 and fences the old one', async () => {
      const a = await acquired('alice@example.com', 'backend-a', 10_000);
      clock.advance(10_000);
      const b = await acquired('alice@example.com', 'backend-b', 10_000);
      expect(b.epoch).toBe(a.epoch + 1);
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch, 10_000)).toBe(false);
      const held = await leases.acquire('alice@example.com', 'backend-a', 10_000);
      expect(held).toEqual({ ok: false, heldBy: b });
      await leases.release('alice@example.com', 'backend-a', a.epoch); // not the holder: no-op
      expect(await leases.get('alice@example.com')).toEqual(b);
    });

    it('keeps the epoch when the same owner takes back its own expired lease', async () => {
      const a = await acquired('alice@example.com', 'backend-a', 1_000);
      clock.advance(5_000);
      const again = await acquired('alice@example.com', 'backend-a', 1_000);
      expect(again.epoch).toBe(a.epoch);
    });

    it('renews only a live lease held with the same owner and epoch', async () => {
      const a = await acquired('alice@example.com', 'backend-a', 10_000);
      clock.advance(8_000);
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch, 10_000)).toBe(true);
      expect((await leases.get('alice@example.com'))?.expiresAt).toBe(clock.now() + 10_000);
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch + 1, 10_000)).toBe(false);
      expect(await leases.renew('alice@example.com', 'backend-b', a.epoch, 10_000)).toBe(false);
      expect(await leases.renew('nobody@example.com', 'backend-a', 1, 10_000)).toBe(false);
      clock.advance(10_000);
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch, 10_000)).toBe(false);
    });

    it('release frees the lease at once for another owner, who gets epoch + 1', async () => {
      const a = await acquired('alice@example.com', 'backend-a', 60_000);
      await leases.release('alice@example.com', 'backend-a', a.epoch + 5); // wrong epoch: no-op
      expect((await leases.acquire('alice@example.com', 'backend-b', 60_000)).ok).toBe(false);
      await leases.release('alice@example.com', 'backend-a', a.epoch);
      expect((await leases.get('alice@example.com'))?.expiresAt).toBeLessThanOrEqual(clock.now());
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch, 60_000)).toBe(false);
      const b = await acquired('alice@example.com', 'backend-b', 60_000);
      expect(b.epoch).toBe(a.epoch + 1);
      await leases.release('nobody@example.com', 'backend-a', 1);
    });

    it('force-releases a live lease only with the epoch read, changing nothing but the expiry', async () => {
      expect(await leases.forceRelease('nobody@example.com', 1)).toBe(false);
      const a = await acquired('alice@example.com', 'backend-a', 60_000);
      expect(await leases.forceRelease('alice@example.com', a.epoch + 1)).toBe(false);
      expect(await leases.get('alice@example.com')).toEqual(a);
      clock.advance(1_000);
      expect(await leases.forceRelease('alice@example.com', a.epoch)).toBe(true);
      expect(await leases.get('alice@example.com')).toEqual({ ...a, expiresAt: clock.now() });
      // Not held any more: a second release is refused, the holder cannot renew.
      expect(await leases.forceRelease('alice@example.com', a.epoch)).toBe(false);
      expect(await leases.renew('alice@example.com', 'backend-a', a.epoch, 60_000)).toBe(false);
      const b = await acquired('alice@example.com', 'backend-b', 60_000);
      expect(b.epoch).toBe(a.epoch + 1);
      // An expired lease is not held: nothing to release.
      clock.advance(60_000);
      expect(await leases.forceRelease('alice@example.com', b.epoch)).toBe(false);
    });

    it('lets exactly one of many concurrent owners win a free lease', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => leases.acquire('carol@example.com', `backend-${i}`, 30_000)),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const owner = winners[0]!.ok ? winners[0]!.lease.owner : '';
      for (const r of results) if (!r.ok) expect(r.heldBy.owner).toBe(owner);
    });
  });
}
