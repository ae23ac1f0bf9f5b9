/**
 * Stable backend ids through numbered slots: a backend started without a configured id claims
 * the first free slot `<prefix>1..<prefix>max` with a lease (AccountLeases, under a key that can
 * never be an address) owned by its unique instance id, renews it while it runs and releases it
 * at a clean stop. So a restarted process or a replaced Fargate task comes back under the same id
 * (the registry, static homes and account leases keep naming the same backend). A backend that
 * cannot renew its slot no longer owns the id and must stop; that decision is the caller's.
 * Lease faults propagate.
 */
import type { AccountLeases } from '../ports/account-leases.ts';
import type { Clock } from '../ports/clock.ts';

/** The lease key of a slot: addresses always have an "@", this never does. */
export function slotLeaseKey(backendId: string): string {
  return `backend-slot:${backendId}`;
}

export interface SlotClaim {
  /** The backend id the slot gives, `<prefix><n>`. */
  readonly backendId: string;
  /** The instance that holds it (the lease owner). */
  readonly instance: string;
  readonly epoch: number;
}

export interface SlotOptions {
  readonly max: number;
  readonly prefix: string;
  /** Unique per process (task id, pid and random): never the same across restarts. */
  readonly instance: string;
  readonly ttlMs: number;
}

/** Take the first free slot 1..max, or undefined when every slot is held by a live instance. */
export async function claimSlot(leases: AccountLeases, opts: SlotOptions): Promise<SlotClaim | undefined> {
  for (let n = 1; n <= opts.max; n++) {
    const backendId = `${opts.prefix}${n}`;
    const r = await leases.acquire(slotLeaseKey(backendId), opts.instance, opts.ttlMs);
    if (r.ok) return { backendId, instance: opts.instance, epoch: r.lease.epoch };
  }
  return undefined;
}

/** Extend the slot's lease; false when another instance has it now (this one lost the id). */
export function renewSlot(leases: AccountLeases, claim: SlotClaim, ttlMs: number): Promise<boolean> {
  return leases.renew(slotLeaseKey(claim.backendId), claim.instance, claim.epoch, ttlMs);
}

/** Give the slot up at a clean stop, so the next instance can take the id at once. */
export function releaseSlot(leases: AccountLeases, claim: SlotClaim): Promise<void> {
  return leases.release(slotLeaseKey(claim.backendId), claim.instance, claim.epoch);
}

/**
 * Keeps a claimed slot: `tick()` renews it (call it every heartbeat). It reports `lost` when the
 * renewal is refused, or when no renewal has succeeded for so long that the lease may have
 * expired before the next tick (storage unreachable): from then on another instance may hold
 * the id, so the caller must stop taking deliveries.
 */
export class SlotKeeper {
  private lastRenewed: number;
  private pending = false;

  constructor(
    private readonly leases: AccountLeases,
    private readonly clock: Clock,
    readonly claim: SlotClaim,
    private readonly ttlMs: number,
    /** How often tick() is called: a renewal must land at least one tick before the expiry. */
    private readonly tickMs: number,
  ) {
    this.lastRenewed = clock.now();
  }

  /** held: renewed (or a renewal is on its way); retrying: this renewal failed; lost: stop now. */
  async tick(): Promise<'held' | 'retrying' | 'lost'> {
    const now = this.clock.now();
    if (now >= this.lastRenewed + this.ttlMs - this.tickMs) return 'lost';
    if (this.pending) return 'held'; // the previous renewal is still on its way
    this.pending = true;
    try {
      if (!(await renewSlot(this.leases, this.claim, this.ttlMs))) return 'lost';
      this.lastRenewed = now;
      return 'held';
    } catch {
      // Retried next tick; the deadline check above decides when it is too late.
      return 'retrying';
    } finally {
      this.pending = false;
    }
  }
}
