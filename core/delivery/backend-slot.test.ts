/**
 * Slot claims on the embedded storage (real SQLite leases, TestClock): first free slot, the same
 * id again after a clean release or after the holder's lease expires, none while all are held,
 * and a keeper that reports the slot lost when another instance took it or renewals stopped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { claimSlot, releaseSlot, SlotKeeper, slotLeaseKey } from './backend-slot.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(async () => {
  await t.cleanup();
});

const opts = (instance: string) => ({ max: 2, prefix: 'backend-', instance, ttlMs: 1_500 });

describe('backend slots', () => {
  it('gives each instance the first free slot and none when all are held', async () => {
    const a = await claimSlot(t.storage.leases, opts('task-a'));
    const b = await claimSlot(t.storage.leases, opts('task-b'));
    expect([a?.backendId, b?.backendId]).toEqual(['backend-1', 'backend-2']);
    expect(await claimSlot(t.storage.leases, opts('task-c'))).toBeUndefined();
    // The key is no address: no account lease can collide with it.
    expect(slotLeaseKey('backend-1')).not.toContain('@');
    expect((await t.storage.leases.get(slotLeaseKey('backend-1')))?.owner).toBe('task-a');
  });

  it('hands the same id to the next instance after a clean release or after the holder died', async () => {
    const a = (await claimSlot(t.storage.leases, opts('task-a')))!;
    await claimSlot(t.storage.leases, opts('task-b'));
    await releaseSlot(t.storage.leases, a);
    // (task-a2 lives on: a long lease stands for its renewals.)
    const a2 = await claimSlot(t.storage.leases, { ...opts('task-a2'), ttlMs: 60_000 });
    expect(a2?.backendId).toBe('backend-1');
    // task-b is killed: its slot frees once the lease expires, not before.
    expect(await claimSlot(t.storage.leases, opts('task-b2'))).toBeUndefined();
    t.clock.advance(1_500);
    expect(await claimSlot(t.storage.leases, opts('task-b2'))).toMatchObject({
      backendId: 'backend-2',
      epoch: 2,
    });
  });

  it('keeps the slot while renewals land, and reports it lost when another instance took it', async () => {
    const a = (await claimSlot(t.storage.leases, opts('task-a')))!;
    const keeper = new SlotKeeper(t.storage.leases, t.clock, a, 1_500, 500);
    for (let i = 0; i < 5; i++) {
      t.clock.advance(500);
      expect(await keeper.tick()).toBe('held');
    }
    // Paused past its expiry: another instance takes backend-1, the old one must stop.
    t.clock.advance(1_500);
    expect((await claimSlot(t.storage.leases, opts('task-z')))?.backendId).toBe('backend-1');
    expect(await keeper.tick()).toBe('lost');
  });

  it('reports the slot lost before its lease can expire when renewals keep failing', async () => {
    const a = (await claimSlot(t.storage.leases, opts('task-a')))!;
    const failing = { ...t.storage.leases, renew: async () => Promise.reject(new Error('storage down')) };
    const keeper = new SlotKeeper(failing, t.clock, a, 1_500, 500);
    t.clock.advance(500);
    expect(await keeper.tick()).toBe('retrying');
    t.clock.advance(500);
    // The next tick would come at the expiry itself: too late to keep the id.
    expect(await keeper.tick()).toBe('lost');
    expect((await t.storage.leases.get(slotLeaseKey('backend-1')))!.expiresAt).toBeGreaterThan(t.clock.now());
  });
});
