/**
 * A backend's memory of the account leases it holds, so a busy account costs one lease write
 * per half lease period instead of one per message. A cached lease is used only until half its
 * time has passed (then it is renewed through AccountLeases), so it is always well inside its
 * expiry: no other backend can hold the account meanwhile. The epoch still fences every write.
 */
import type { AccountLeases, AcquireResult, Lease } from '../ports/account-leases.ts';
import type { Clock } from '../ports/clock.ts';
import { metrics } from '../util/metrics.ts';

export class LeaseCache {
  private readonly held = new Map<string, { lease: Lease; renewAt: number }>();

  constructor(private readonly maxEntries = 100_000) {}

  /** Accounts whose lease is held in memory now (shown as "accounts open" by `strato cluster backends`). */
  get size(): number {
    return this.held.size;
  }

  /** Our lease on `account`, from memory while fresh, else acquired (or renewed) in the store. */
  async acquire(
    leases: AccountLeases,
    clock: Clock,
    account: string,
    owner: string,
    ttlMs: number,
  ): Promise<AcquireResult> {
    const now = clock.now();
    const cached = this.held.get(account);
    if (cached && cached.lease.owner === owner && now < cached.renewAt)
      return { ok: true, lease: cached.lease };
    const result = await leases.acquire(account, owner, ttlMs);
    if (result.ok) {
      // An epoch past the first that we did not hold: the account changed hands to us.
      if (result.lease.epoch > 1 && cached?.lease.epoch !== result.lease.epoch)
        metrics.count('LeaseTakeovers');
      if (this.held.size >= this.maxEntries) this.held.clear();
      this.held.set(account, { lease: result.lease, renewAt: now + ttlMs / 2 });
    } else {
      this.held.delete(account);
    }
    return result;
  }

  /** Forget an account (its lease was found stale by a write). */
  forget(account: string): void {
    this.held.delete(account);
  }

  /**
   * Give up every lease held (graceful stop, or the end of a Lambda invocation), so another
   * backend can open the accounts at once. Each release is fenced by its epoch: a lease that
   * changed hands meanwhile is left alone. A failed release is counted, not thrown; that lease
   * then simply expires. Returns how many were released and how many failed.
   */
  async releaseAll(leases: AccountLeases, owner: string): Promise<{ released: number; failed: number }> {
    const held = [...this.held.values()].filter((h) => h.lease.owner === owner);
    this.held.clear();
    const results = await Promise.allSettled(
      held.map((h) => leases.release(h.lease.account, owner, h.lease.epoch)),
    );
    const failed = results.filter((r) => r.status === 'rejected').length;
    return { released: results.length - failed, failed };
  }
}
