/**
 * Suppressions on SQLite (directory.db, shared by every process of the machine): one row per
 * address. Failure: SQLite faults propagate to the caller.
 */
import {
  normaliseSuppressed,
  type Suppression,
  type SuppressionReason,
  type Suppressions,
} from '../../core/ports/suppressions.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE suppressions (
     address TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     at INTEGER NOT NULL,
     detail TEXT
   ) WITHOUT ROWID;`,
];

interface Row {
  address: string;
  reason: SuppressionReason;
  at: number;
  detail: string | null;
}

const fromRow = (r: Row): Suppression => ({
  address: r.address,
  reason: r.reason,
  at: r.at,
  ...(r.detail !== null ? { detail: r.detail } : {}),
});

export class SqliteSuppressions implements Suppressions {
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, 'suppressions', MIGRATIONS);
    this.stmt = {
      put: db.prepare(
        `INSERT INTO suppressions (address, reason, at, detail) VALUES (?, ?, ?, ?)
         ON CONFLICT(address) DO UPDATE SET reason = excluded.reason, at = excluded.at, detail = excluded.detail`,
      ),
      get: db.prepare<[string], Row>('SELECT * FROM suppressions WHERE address = ?'),
      remove: db.prepare('DELETE FROM suppressions WHERE address = ?'),
      list: db.prepare<[], Row>('SELECT * FROM suppressions ORDER BY address'),
    };
  }

  async put(s: Suppression): Promise<void> {
    this.stmt.put.run(normaliseSuppressed(s.address), s.reason, s.at, s.detail ?? null);
  }

  async get(address: string): Promise<Suppression | undefined> {
    const row = this.stmt.get.get(normaliseSuppressed(address));
    return row ? fromRow(row) : undefined;
  }

  async remove(address: string): Promise<boolean> {
    return this.stmt.remove.run(normaliseSuppressed(address)).changes > 0;
  }

  async list(): Promise<Suppression[]> {
    return this.stmt.list.all().map(fromRow);
  }
}
