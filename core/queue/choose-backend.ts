/**
 * Chooses the backend that should open an account. The lease decides: a live owner gets the
 * delivery. With no live owner, rendezvous (highest-random-weight) hashing over live backends
 * picks one, so an account tends to stay on one backend and only 1/n of accounts move when a
 * backend joins or leaves. Static mode pins each account to a home backend among all
 * registered ones and never fails over (as in a static cluster). An account that names its home
 * backend (the HomeBackend setting, in either mode) goes there only: a home that is down is a
 * "retry later", never another backend.
 */
import { createHash } from 'node:crypto';
import type { Lease } from '../ports/account-leases.ts';
import type { BackendInfo } from '../ports/backend-registry.ts';

export type BackendChoice =
  | {
      readonly ok: true;
      readonly backend: BackendInfo;
      readonly why: 'lease-owner' | 'rendezvous' | 'home' | 'home-setting';
    }
  | { readonly ok: false; readonly reason: string };

function weight(account: string, backendId: string): bigint {
  return createHash('sha256').update(`${account}\u0000${backendId}`).digest().readBigUInt64BE(0);
}

/** The backend with the highest weight for the account, or undefined when the list is empty. */
export function rendezvous(account: string, backends: readonly BackendInfo[]): BackendInfo | undefined {
  let best: BackendInfo | undefined;
  let bestWeight = -1n;
  for (const b of backends) {
    const w = weight(account, b.id);
    if (w > bestWeight || (w === bestWeight && best && b.id < best.id)) {
      best = b;
      bestWeight = w;
    }
  }
  return best;
}

export function chooseBackend(opts: {
  account: string;
  lease: Lease | undefined;
  live: readonly BackendInfo[];
  all: readonly BackendInfo[];
  mode: 'dynamic' | 'static';
  now: number;
  /** The account's HomeBackend setting (null or absent: none). */
  home?: string | null;
}): BackendChoice {
  const { account, lease, live, all, mode, now, home } = opts;
  if (home) {
    const liveHome = live.find((b) => b.id === home);
    return liveHome
      ? { ok: true, backend: liveHome, why: 'home-setting' }
      : { ok: false, reason: `home backend ${home} of ${account} is down` };
  }
  if (mode === 'static') {
    const home = rendezvous(account, all);
    if (!home) return { ok: false, reason: 'no backends are registered' };
    const liveHome = live.find((b) => b.id === home.id);
    return liveHome
      ? { ok: true, backend: liveHome, why: 'home' }
      : { ok: false, reason: `home backend ${home.id} of ${account} is down` };
  }
  if (lease && lease.expiresAt > now) {
    const owner = live.find((b) => b.id === lease.owner);
    if (owner) return { ok: true, backend: owner, why: 'lease-owner' };
  }
  const pick = rendezvous(account, live);
  return pick ? { ok: true, backend: pick, why: 'rendezvous' } : { ok: false, reason: 'no live backends' };
}
