/**
 * Small message bodies stored inline in SQLite (table message_bodies of the queue database)
 * instead of as fsynced files: a put joins the queue's group commit (group-commit.ts), so one WAL
 * fsync covers the bodies and jobs of every message that arrived while the previous fsync ran,
 * where a file costs an fdatasync of its own plus a directory fsync. FileMessageStore decides
 * which bodies go here (up to a size threshold) and looks here first when it reads, checks or
 * deletes a key.
 * Failure: a failed commit rejects the put (the body is not stored); read errors are thrown.
 */
import type { GroupCommit } from './group-commit.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE message_bodies (key TEXT PRIMARY KEY, data BLOB NOT NULL, created_at INTEGER NOT NULL);
   CREATE INDEX message_bodies_created ON message_bodies (created_at);`,
];

export class InlineBodies {
  private readonly stmt;

  constructor(
    db: Db,
    private readonly committer: GroupCommit,
    /** Bodies up to this many bytes are stored here. */
    readonly maxBytes: number,
  ) {
    migrate(db, 'message_bodies', MIGRATIONS);
    this.stmt = {
      put: db.prepare('INSERT OR REPLACE INTO message_bodies (key, data, created_at) VALUES (?, ?, ?)'),
      get: db.prepare<[string], Buffer>('SELECT data FROM message_bodies WHERE key = ?').pluck(),
      has: db.prepare<[string], number>('SELECT 1 FROM message_bodies WHERE key = ?').pluck(),
      delete: db.prepare('DELETE FROM message_bodies WHERE key = ?'),
      older: db
        .prepare<[number], string>('SELECT key FROM message_bodies WHERE created_at < ? ORDER BY created_at')
        .pluck(),
    };
  }

  /** Resolves once the body is committed (fsynced with its group). */
  async put(key: string, data: Buffer): Promise<void> {
    const at = Date.now();
    await this.committer.run(() => this.stmt.put.run(key, data, at));
  }

  get(key: string): Buffer | undefined {
    return this.stmt.get.get(key);
  }

  has(key: string): boolean {
    return this.stmt.has.get(key) !== undefined;
  }

  /**
   * Deletes the key if it is stored here (a plain read first, so file keys cost no write);
   * true when it was. With `durable: false` it does not wait for an fsync: a delete lost in a
   * power cut then only leaves an orphan body, which the orphan sweep (orphan-bodies.ts) removes.
   */
  async delete(key: string, opts: { durable: boolean }): Promise<boolean> {
    if (!this.has(key)) return false;
    await this.committer.run(() => this.stmt.delete.run(key), opts);
    return true;
  }

  keysOlderThan(cutoffMs: number): string[] {
    return this.stmt.older.all(cutoffMs);
  }
}
