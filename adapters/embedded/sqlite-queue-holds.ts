/**
 * QueueHolds on SQLite (directory.db, shared by every process of the machine): one row per
 * directive, keyed by kind and value. Failure: SQLite faults propagate to the caller.
 */
import {
  normaliseHoldValue,
  type QueueHold,
  type QueueHoldKind,
  type QueueHolds,
} from '../../core/ports/queue-holds.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE queue_holds (
     kind TEXT NOT NULL,
     value TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     reason TEXT,
     PRIMARY KEY (kind, value)
   ) WITHOUT ROWID;`,
];

interface HoldRow {
  kind: QueueHoldKind;
  value: string;
  created_at: number;
  reason: string | null;
}

export class SqliteQueueHolds implements QueueHolds {
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, 'queue_holds', MIGRATIONS);
    this.stmt = {
      add: db.prepare(
        `INSERT INTO queue_holds (kind, value, created_at, reason) VALUES (?, ?, ?, ?)
         ON CONFLICT(kind, value) DO NOTHING`,
      ),
      remove: db.prepare('DELETE FROM queue_holds WHERE kind = ? AND value = ?'),
      list: db.prepare<[], HoldRow>('SELECT * FROM queue_holds ORDER BY kind, value'),
    };
  }

  async add(hold: QueueHold): Promise<boolean> {
    const value = normaliseHoldValue(hold.kind, hold.value);
    return this.stmt.add.run(hold.kind, value, hold.createdAt, hold.reason ?? null).changes > 0;
  }

  async remove(kind: QueueHoldKind, value: string): Promise<boolean> {
    return this.stmt.remove.run(kind, normaliseHoldValue(kind, value)).changes > 0;
  }

  async list(): Promise<QueueHold[]> {
    return this.stmt.list.all().map((r) => ({
      kind: r.kind,
      value: r.value,
      createdAt: r.created_at,
      ...(r.reason !== null ? { reason: r.reason } : {}),
    }));
  }
}
