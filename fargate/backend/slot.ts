/**
 * The backend process's side of slot ids (core/delivery/backend-slot.ts): claim a slot at start,
 * waiting up to STRATO_BACKEND_SLOT_WAIT_MS while every slot is taken (then a clear error and exit
 * 1), and keep it with a renewal every heartbeat. A lost slot (another instance has the id now,
 * or renewals failed until it may have expired) is fatal: the process logs it and exits 1 at
 * once, so it takes no more deliveries under an id it no longer owns.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { BackendConfig, BackendSlots } from '../../core/config/backend-config.ts';
import { claimSlot, releaseSlot, type SlotClaim, SlotKeeper } from '../../core/delivery/backend-slot.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { Storage } from '../../core/ports/storage.ts';

/** Unique per process: a restart or a replacement task never reuses it. */
export function instanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** A slot's lease lives as long as a registry heartbeat: a dead backend frees both together. */
export const slotTtlMs = (config: BackendConfig): number => config.heartbeatMs * 3;

/** Claim the first free slot, retrying every heartbeat for up to `slots.waitMs`; throws when none freed. */
export async function claimBackendSlot(
  storage: Storage,
  config: BackendConfig,
  slots: BackendSlots,
): Promise<SlotClaim> {
  const instance = instanceId();
  const deadline = Date.now() + slots.waitMs;
  for (;;) {
    const claim = await claimSlot(storage.leases, {
      max: slots.max,
      prefix: slots.prefix,
      instance,
      ttlMs: slotTtlMs(config),
    });
    if (claim) return claim;
    if (Date.now() >= deadline) {
      throw new Error(
        `all ${slots.max} backend slots (${slots.prefix}1..${slots.prefix}${slots.max}) are held by running ` +
          `backends; waited ${slots.waitMs} ms. Raise STRATO_BACKEND_SLOTS or stop a backend.`,
      );
    }
    await new Promise((r) => setTimeout(r, config.heartbeatMs));
  }
}

/** Renew the slot every heartbeat; on loss log `backend.slot_lost` and exit 1. Returns the stopper. */
export function keepBackendSlot(
  storage: Storage,
  config: BackendConfig,
  claim: SlotClaim,
  logger: Logger,
): { release(): Promise<void> } {
  const keeper = new SlotKeeper(storage.leases, systemClock, claim, slotTtlMs(config), config.heartbeatMs);
  const timer = setInterval(async () => {
    const state = await keeper.tick();
    if (state === 'retrying') logger.warn({ event: 'backend.slot_renew_failed', slot: claim.backendId });
    if (state !== 'lost') return;
    logger.error({ event: 'backend.slot_lost', slot: claim.backendId, instance: claim.instance });
    process.exit(1);
  }, config.heartbeatMs);
  return {
    async release() {
      clearInterval(timer);
      await releaseSlot(storage.leases, claim).catch(() => {});
    },
  };
}
