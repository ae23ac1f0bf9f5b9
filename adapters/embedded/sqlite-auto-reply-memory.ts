/**
 * AutoReplyMemory on SQLite (in directory.db, so it outlives any backend process and holds when an
 * account moves): one row per (account, sender) with the time of the last automatic reply; a claim
 * is a read and a conditional write in one IMMEDIATE transaction, so of two concurrent claims only
 * one wins. Rows older than a year (the longest vacation period) are swept now and then.
 * Failure: SQLite faults propagate (finalizeAutoReplies then rejects and delivery is retried).
 */
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { AutoReplyMemory } from '../../core/rules/index.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE auto_replies (
     account TEXT NOT NULL,
     sender TEXT NOT NULL,
     replied_at INTEGER NOT NULL,
     PRIMARY KEY (account, sender)
   ) WITHOUT ROWID;
   CREATE INDEX auto_replies_age ON auto_replies (replied_at);`,
];

/** Vacation periods are at most 365 days (core/rules/model.ts); older rows decide nothing. */
const KEEP_MS = 366 * 86_400_000;
const SWEEP_EVERY = 500;

export class SqliteAutoReplyMemory implements AutoReplyMemory {
  private readonly clock: Clock;
  private readonly stmt;
  private claims = SWEEP_EVERY - 1;

  constructor(
    private readonly db: Db,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'auto-replies', MIGRATIONS);
    this.stmt = {
      last: db
        .prepare<[string, string], number>(
          'SELECT replied_at FROM auto_replies WHERE account = ? AND sender = ?',
        )
        .pluck(),
      put: db.prepare<[string, string, number]>(
        `INSERT INTO auto_replies (account, sender, replied_at) VALUES (?, ?, ?)
         ON CONFLICT(account, sender) DO UPDATE SET replied_at = excluded.replied_at`,
      ),
      sweep: db.prepare<[number]>('DELETE FROM auto_replies WHERE replied_at < ?'),
    };
  }

  async claim(account: string, sender: string, periodMs: number): Promise<boolean> {
    const a = account.toLowerCase();
    const s = sender.toLowerCase();
    const now = this.clock.now();
    const granted = writeTx(this.db, () => {
      const last = this.stmt.last.get(a, s);
      if (last !== undefined && now - last < periodMs) return false;
      this.stmt.put.run(a, s, now);
      return true;
    });
    if (++this.claims % SWEEP_EVERY === 0) this.stmt.sweep.run(now - KEEP_MS);
    return granted;
  }
}
