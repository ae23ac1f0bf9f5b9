/**
 * AccountLeases on SQLite: one row per account (owner, epoch, expires_at), changed by one
 * conditional upsert/update per call inside BEGIN IMMEDIATE, with expiry judged against the
 * injected clock. Rows are never deleted, so an account's epoch never goes backwards.
 * Failure: a refused acquire is a value ({ ok: false, heldBy }); SQLite faults propagate.
 */
import type { AccountLeasesAdmin, AcquireResult, Lease } from '../../core/ports/account-leases.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE account_leases (
     account TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

interface LeaseRow {
  account: string;
  owner: string;
  epoch: number;
  expires_at: number;
}

export class SqliteAccountLeases implements AccountLeasesAdmin {
  private readonly clock: Clock;
  private readonly stmt;

  constructor(
    private readonly db: Db,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'leases', MIGRATIONS);
    this.stmt = {
      // Free (no row), expired, or ours: take it. The epoch moves only when the owner changes.
      acquire: db.prepare<{ account: string; owner: string; now: number; expires: number }, LeaseRow>(
        `INSERT INTO account_leases (account, owner, epoch, expires_at) VALUES (@account, @owner, 1, @expires)
         ON CONFLICT(account) DO UPDATE SET
           epoch = CASE WHEN owner = excluded.owner THEN epoch ELSE epoch + 1 END,
           owner = excluded.owner,
           expires_at = excluded.expires_at
         WHERE owner = excluded.owner OR expires_at <= @now
         RETURNING account, owner, epoch, expires_at`,
      ),
      renew: db.prepare(
        `UPDATE account_leases SET expires_at = @expires
         WHERE account = @account AND owner = @owner AND epoch = @epoch AND expires_at > @now`,
      ),
      release: db.prepare(
        `UPDATE account_leases SET expires_at = MIN(expires_at, @now)
         WHERE account = @account AND owner = @owner AND epoch = @epoch`,
      ),
      forceRelease: db.prepare(
        `UPDATE account_leases SET expires_at = @now
         WHERE account = @account AND epoch = @epoch AND expires_at > @now`,
      ),
      get: db.prepare<[string], LeaseRow>(
        'SELECT account, owner, epoch, expires_at FROM account_leases WHERE account = ?',
      ),
    };
  }

  async acquire(account: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    return writeTx(this.db, () => {
      const now = this.clock.now();
      const row = this.stmt.acquire.get({ account, owner, now, expires: now + ttlMs });
      if (row) return { ok: true, lease: toLease(row) };
      return { ok: false, heldBy: toLease(this.stmt.get.get(account)!) };
    });
  }

  async renew(account: string, owner: string, epoch: number, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    return this.stmt.renew.run({ account, owner, epoch, now, expires: now + ttlMs }).changes > 0;
  }

  async release(account: string, owner: string, epoch: number): Promise<void> {
    this.stmt.release.run({ account, owner, epoch, now: this.clock.now() });
  }

  async forceRelease(account: string, epoch: number): Promise<boolean> {
    return this.stmt.forceRelease.run({ account, epoch, now: this.clock.now() }).changes > 0;
  }

  async get(account: string): Promise<Lease | undefined> {
    const row = this.stmt.get.get(account);
    return row ? toLease(row) : undefined;
  }
}

function toLease(row: LeaseRow): Lease {
  return { account: row.account, owner: row.owner, epoch: row.epoch, expiresAt: row.expires_at };
}
