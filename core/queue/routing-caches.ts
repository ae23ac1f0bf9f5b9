/**
 * Short-lived caches for what a queue processor reads on every job to route it: the live
 * backends and each account's lease owner. Both change rarely; a stale answer only costs a
 * redirect (the backend names the real owner) or one temporary failure, never a wrong write,
 * since the backend's own lease and epoch decide. Writes pass straight through.
 */
import type { AccountLeases } from '../ports/account-leases.ts';
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';
import type { Clock } from '../ports/clock.ts';
import { TtlCache } from '../util/ttl-cache.ts';

export function cachedRegistry(inner: BackendRegistry, clock: Clock, ttlMs: number): BackendRegistry {
  const live = new TtlCache<BackendInfo[]>(clock, ttlMs);
  const all = new TtlCache<BackendInfo[]>(clock, ttlMs);
  return {
    heartbeat: (info, ttl) => inner.heartbeat(info, ttl),
    deregister: (id) => inner.deregister(id),
    listLive: () => live.get('live', () => inner.listLive()),
    listAll: () => all.get('all', () => inner.listAll()),
  };
}

export function cachedLeaseReads(inner: AccountLeases, clock: Clock, ttlMs: number): AccountLeases {
  const reads = new TtlCache<Awaited<ReturnType<AccountLeases['get']>>>(clock, ttlMs);
  return {
    acquire: (account, owner, ttl) => inner.acquire(account, owner, ttl),
    renew: (account, owner, epoch, ttl) => inner.renew(account, owner, epoch, ttl),
    release: (account, owner, epoch) => inner.release(account, owner, epoch),
    get: (account) => reads.get(account, () => inner.get(account)),
  };
}
