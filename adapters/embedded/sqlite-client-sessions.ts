/**
 * ClientSessions on SQLite (sessions.db, shared by every process of the data dir): one row per
 * session (key, client address, expiry by the injected clock). `open` inserts or refreshes the
 * row and counts the address's unexpired rows inside one BEGIN IMMEDIATE, so two frontends
 * opening at once both see each other. Expired rows are ignored by every read and deleted now and
 * then (the embedded stand-in for a DynamoDB TTL). Failure: SQLite faults propagate.
 */

import type { ClientSessionRef, ClientSessions } from '../../core/ports/client-sessions.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE client_sessions (
     session_key TEXT PRIMARY KEY,
     ip TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX client_sessions_ip ON client_sessions (ip, expires_at);
   CREATE INDEX client_sessions_expiry ON client_sessions (expires_at);`,
];

const SWEEP_EVERY = 200;

export class SqliteClientSessions implements ClientSessions {
  private readonly clock: Clock;
  private readonly stmt;
  private writes = SWEEP_EVERY - 1;

  constructor(
    private readonly db: Db,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'client-sessions', MIGRATIONS);
    this.stmt = {
      upsert: db.prepare<[string, string, number]>(
        `INSERT INTO client_sessions (session_key, ip, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(session_key) DO UPDATE SET ip = excluded.ip, expires_at = excluded.expires_at`,
      ),
      refresh: db.prepare<[number, string, number]>(
        'UPDATE client_sessions SET expires_at = ? WHERE session_key = ? AND expires_at > ?',
      ),
      count: db
        .prepare<[string, number], number>(
          'SELECT COUNT(*) FROM client_sessions WHERE ip = ? AND expires_at > ?',
        )
        .pluck(),
      remove: db.prepare<[string]>('DELETE FROM client_sessions WHERE session_key = ?'),
      sweep: db.prepare<[number]>('DELETE FROM client_sessions WHERE expires_at <= ?'),
    };
  }

  async open(ip: string, sessionKey: string, ttlMs: number): Promise<number> {
    const now = this.clock.now();
    const count = writeTx(this.db, () => {
      this.stmt.upsert.run(sessionKey, ip, now + ttlMs);
      return this.stmt.count.get(ip, now)!;
    });
    this.maybeSweep(now);
    return count;
  }

  async refresh(sessions: readonly ClientSessionRef[], ttlMs: number): Promise<void> {
    if (sessions.length === 0) return;
    const now = this.clock.now();
    writeTx(this.db, () => {
      for (const s of sessions) this.stmt.refresh.run(now + ttlMs, s.sessionKey, now);
    });
  }

  async close(_ip: string, sessionKey: string): Promise<void> {
    this.stmt.remove.run(sessionKey);
  }

  async count(ip: string): Promise<number> {
    return this.stmt.count.get(ip, this.clock.now())!;
  }

  /** Expired rows are dead weight only; drop them now and then. */
  private maybeSweep(now: number): void {
    this.writes++;
    if (this.writes % SWEEP_EVERY !== 0) return;
    this.stmt.sweep.run(now);
  }
}
