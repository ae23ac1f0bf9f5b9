/**
 * Where an account is open, and the operator's force-release of a stuck lease (`strato account
 * where|release` and the WebAdmin). An alias answers for its account. `whereIsAccount` gives the
 * lease (owner, epoch, expiry, held, owner live) and the HomeBackend setting with the level it
 * comes from. `releaseAccountLease` expires a held lease, fenced by the epoch read (or the one
 * given): a malformed address is InvalidInputError('address'), an unknown account
 * NotFoundAdminError, a lease not held (none, or expired), with another epoch, or that changed
 * hands meanwhile a LeaseConflictError (a ConflictError saying which, with the lease); nothing
 * changes then. Storage faults propagate.
 */
import { effectiveSettings } from '../directory/effective-settings.ts';
import type { Lease } from '../ports/account-leases.ts';
import type { Storage } from '../ports/storage.ts';
import { ConflictError, NotFoundAdminError } from './errors.ts';
import { addressInput } from './ops-input.ts';

export type LeasesDeps = Pick<Storage, 'directory' | 'leases' | 'backends'>;

export interface LeaseView {
  readonly owner: string;
  readonly epoch: number;
  /** ms since epoch. */
  readonly expiresAt: number;
  /** Live now (not expired). */
  readonly held: boolean;
  /** Its owner is a live backend. */
  readonly ownerLive: boolean;
}

export interface AccountWhereView {
  readonly account: string;
  /** null: no backend has ever opened it. */
  readonly lease: LeaseView | null;
  readonly home: {
    readonly backend: string | null;
    /** The level the HomeBackend setting comes from (account, domain, cluster, default). */
    readonly from: string;
    readonly live: boolean;
    readonly registered: boolean;
  };
}

export interface LeaseReleaseView {
  readonly account: string;
  readonly released: true;
  readonly owner: string;
  readonly epoch: number;
}

/** Why a release was refused, with the lease as read (undefined: never opened). */
export class LeaseConflictError extends ConflictError {
  constructor(
    readonly account: string,
    readonly reason: 'not-held' | 'epoch-mismatch' | 'changed',
    readonly lease: Lease | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The account an address names: itself, or the account of an alias; NotFoundAdminError else. */
async function accountOf(deps: LeasesDeps, input: string): Promise<string> {
  const address = addressInput(input);
  const entry = await deps.directory.lookupName(address);
  const account = entry?.kind === 'alias' ? entry.alias.account : address;
  if (!(await deps.directory.getAccount(account))) throw new NotFoundAdminError('account', account);
  return account;
}

export async function whereIsAccount(
  deps: LeasesDeps,
  address: string,
  now = Date.now(),
): Promise<AccountWhereView> {
  const account = await accountOf(deps, address);
  const [lease, live, all, effective] = await Promise.all([
    deps.leases.get(account),
    deps.backends.listLive(),
    deps.backends.listAll(),
    effectiveSettings(deps.directory, account),
  ]);
  const home = effective.settings.HomeBackend;
  return {
    account,
    lease: lease
      ? {
          owner: lease.owner,
          epoch: lease.epoch,
          expiresAt: lease.expiresAt,
          held: lease.expiresAt > now,
          ownerLive: live.some((b) => b.id === lease.owner),
        }
      : null,
    home: {
      backend: home,
      from: effective.sources.HomeBackend,
      live: home !== null && live.some((b) => b.id === home),
      registered: home !== null && all.some((b) => b.id === home),
    },
  };
}

/** Force-release the account's lease, fenced by its epoch (`expectedEpoch`: only if still this one). */
export async function releaseAccountLease(
  deps: LeasesDeps,
  address: string,
  expectedEpoch?: number,
  now = Date.now(),
): Promise<LeaseReleaseView> {
  const account = await accountOf(deps, address);
  const lease = await deps.leases.get(account);
  if (!lease || lease.expiresAt <= now) {
    throw new LeaseConflictError(
      account,
      'not-held',
      lease,
      `account ${account} is not held${lease ? ` (its lease expired at ${new Date(lease.expiresAt).toISOString()})` : ': no backend has ever opened it'}; nothing to release`,
    );
  }
  if (expectedEpoch !== undefined && expectedEpoch !== lease.epoch) {
    throw new LeaseConflictError(
      account,
      'epoch-mismatch',
      lease,
      `account ${account}: the lease has epoch ${lease.epoch} now, not ${expectedEpoch}; nothing released`,
    );
  }
  if (!(await deps.leases.forceRelease(account, lease.epoch))) {
    throw new LeaseConflictError(
      account,
      'changed',
      lease,
      `account ${account}: the lease changed while releasing it (epoch ${lease.epoch} no longer held); nothing released`,
    );
  }
  return { account, released: true, owner: lease.owner, epoch: lease.epoch };
}
