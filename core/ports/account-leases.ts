/**
 * AccountLeases port: which backend has an account open (the dynamic cluster's single opener).
 * A lease has an owner, an expiry and an epoch that increases whenever ownership changes hands;
 * the epoch is a fencing token writers carry so a backend that lost its lease cannot write.
 * Expiry is decided by comparing `expiresAt` with the caller's clock inside one conditional write,
 * never by a store's background deletion.
 */

export interface Lease {
  readonly account: string;
  readonly owner: string;
  readonly epoch: number;
  /** ms since epoch. */
  readonly expiresAt: number;
}

export type AcquireResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly heldBy: Lease };

export interface AccountLeases {
  /**
   * Take the lease if free, expired, or already ours (then it is renewed with the same epoch).
   * A change of owner increments the epoch.
   */
  acquire(account: string, owner: string, ttlMs: number): Promise<AcquireResult>;
  /** Extend our lease; false when we no longer hold it with this epoch. */
  renew(account: string, owner: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Give the lease up (expire it now) if we hold it with this epoch; otherwise a no-op. */
  release(account: string, owner: string, epoch: number): Promise<void>;
  get(account: string): Promise<Lease | undefined>;
}

/** What an operator may do besides (`Storage` hands this out; use cases take `AccountLeases`). */
export interface AccountLeasesAdmin extends AccountLeases {
  /**
   * An operator's release of a stuck lease, whoever holds it: expire it now if it is still live
   * with this epoch (the one the operator read); true when it did. Nothing else changes (owner
   * and epoch stay; the next other owner gets epoch + 1 as after any expiry).
   */
  forceRelease(account: string, epoch: number): Promise<boolean>;
}
