/**
 * BackendRegistry on SQLite: one row per backend (address, kind, expires_at), upserted by each
 * heartbeat; liveness is expires_at compared with the injected clock, so a backend that stops
 * beating (crash, kill -9) drops out of listLive on its own. Rows of dead backends stay for
 * listAll until deregistered. Failure: SQLite faults propagate to the caller.
 */
import type { BackendInfo, BackendRegistry } from '../../core/ports/backend-registry.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE backends (
     id TEXT PRIMARY KEY,
     address TEXT NOT NULL,
     kind TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

interface BackendRow {
  id: string;
  address: string;
  kind: BackendInfo['kind'];
  expires_at: number;
}

export class SqliteBackendRegistry implements BackendRegistry {
  private readonly clock: Clock;
  private readonly stmt;

  constructor(db: Db, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'backends', MIGRATIONS);
    this.stmt = {
      heartbeat: db.prepare(
        `INSERT INTO backends (id, address, kind, expires_at) VALUES (@id, @address, @kind, @expires)
         ON CONFLICT(id) DO UPDATE SET address = excluded.address, kind = excluded.kind,
           expires_at = excluded.expires_at`,
      ),
      deregister: db.prepare('DELETE FROM backends WHERE id = ?'),
      live: db.prepare<[number], BackendRow>('SELECT * FROM backends WHERE expires_at > ? ORDER BY id'),
      all: db.prepare<[], BackendRow>('SELECT * FROM backends ORDER BY id'),
    };
  }

  async heartbeat(info: Omit<BackendInfo, 'expiresAt'>, ttlMs: number): Promise<void> {
    const expires = this.clock.now() + ttlMs;
    this.stmt.heartbeat.run({ id: info.id, address: info.address, kind: info.kind, expires });
  }

  async deregister(id: string): Promise<void> {
    this.stmt.deregister.run(id);
  }

  async listLive(): Promise<BackendInfo[]> {
    return this.stmt.live.all(this.clock.now()).map(toInfo);
  }

  async listAll(): Promise<BackendInfo[]> {
    return this.stmt.all.all().map(toInfo);
  }
}

function toInfo(row: BackendRow): BackendInfo {
  return { id: row.id, address: row.address, kind: row.kind, expiresAt: row.expires_at };
}
