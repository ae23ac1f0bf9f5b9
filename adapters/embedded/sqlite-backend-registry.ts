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
  // What `strato cluster backends` shows besides the address (JSON: accountsOpen, startedAt, version).
  'ALTER TABLE backends ADD COLUMN details TEXT;',
];

interface BackendRow {
  id: string;
  address: string;
  kind: BackendInfo['kind'];
  expires_at: number;
  details: string | null;
}

/** The optional facts a heartbeat may carry, kept as one JSON column. */
const DETAIL_KEYS = ['accountsOpen', 'startedAt', 'version'] as const;

export class SqliteBackendRegistry implements BackendRegistry {
  private readonly clock: Clock;
  private readonly stmt;

  constructor(db: Db, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'backends', MIGRATIONS);
    this.stmt = {
      heartbeat: db.prepare(
        `INSERT INTO backends (id, address, kind, expires_at, details)
         VALUES (@id, @address, @kind, @expires, @details)
         ON CONFLICT(id) DO UPDATE SET address = excluded.address, kind = excluded.kind,
           expires_at = excluded.expires_at, details = excluded.details`,
      ),
      deregister: db.prepare('DELETE FROM backends WHERE id = ?'),
      live: db.prepare<[number], BackendRow>('SELECT * FROM backends WHERE expires_at > ? ORDER BY id'),
      all: db.prepare<[], BackendRow>('SELECT * FROM backends ORDER BY id'),
    };
  }

  async heartbeat(info: Omit<BackendInfo, 'expiresAt'>, ttlMs: number): Promise<void> {
    const expires = this.clock.now() + ttlMs;
    const details = Object.fromEntries(
      DETAIL_KEYS.filter((k) => info[k] !== undefined).map((k) => [k, info[k]]),
    );
    this.stmt.heartbeat.run({
      id: info.id,
      address: info.address,
      kind: info.kind,
      expires,
      details: Object.keys(details).length > 0 ? JSON.stringify(details) : null,
    });
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
  const base = { id: row.id, address: row.address, kind: row.kind, expiresAt: row.expires_at };
  if (!row.details) return base;
  const details = JSON.parse(row.details) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  if (typeof details.accountsOpen === 'number') out.accountsOpen = details.accountsOpen;
  if (typeof details.startedAt === 'number') out.startedAt = details.startedAt;
  if (typeof details.version === 'string') out.version = details.version;
  return out as unknown as BackendInfo;
}
