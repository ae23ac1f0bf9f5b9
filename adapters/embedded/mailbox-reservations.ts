/**
 * UID reservations of the mailbox store's appends in flight (table mbx_reserved): an append
 * records its UID when it renames the body into place and removes the record in the transaction
 * that inserts the message row. A record left behind belongs to an append that died in between
 * (kill -9, a failed commit): `sweep` (at open) deletes such a body unless its row exists, so no
 * unreachable <uid>.eml stays on disk (its UID is never handed out again to replace it).
 * Failure: a body that cannot be deleted keeps its record and is tried again at the next open.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeName } from '../../core/mail/mailbox-names.ts';
import type { Db } from './sqlite.ts';

export const RESERVATIONS_MIGRATION = `CREATE TABLE mbx_reserved (
  account TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid INTEGER NOT NULL,
  reserved_at INTEGER NOT NULL,
  PRIMARY KEY (account, folder, uid)
) WITHOUT ROWID;`;

/** Older reservations belong to a process that died; a live append finishes within seconds. */
export const STALE_RESERVATION_MS = 60 * 60 * 1000;

interface Reservation {
  account: string;
  folder: string;
  uid: number;
}

export class Reservations {
  private readonly stmt;

  /** `db` must have the table (RESERVATIONS_MIGRATION applied). */
  constructor(db: Db) {
    this.stmt = {
      add: db.prepare(
        'INSERT OR REPLACE INTO mbx_reserved (account, folder, uid, reserved_at) VALUES (?, ?, ?, ?)',
      ),
      remove: db.prepare('DELETE FROM mbx_reserved WHERE account = ? AND folder = ? AND uid = ?'),
      stale: db.prepare<[number], Reservation>(
        'SELECT account, folder, uid FROM mbx_reserved WHERE reserved_at < ?',
      ),
      stored: db
        .prepare<[string, string, number], number>(
          'SELECT 1 FROM mbx_messages WHERE account = ? AND folder = ? AND uid = ?',
        )
        .pluck(),
    };
  }

  /** Inside the reserving transaction. */
  add(account: string, folder: string, uid: number, now: number): void {
    this.stmt.add.run(account, folder, uid, now);
  }

  /** Inside the transaction that inserts the row (or finds the delivery stored already). */
  remove(account: string, folder: string, uid: number): void {
    this.stmt.remove.run(account, folder, uid);
  }

  /** Delete the bodies of appends that died before their row; returns how many records went. */
  async sweep(root: string, now: number): Promise<number> {
    let swept = 0;
    for (const r of this.stmt.stale.all(now - STALE_RESERVATION_MS)) {
      if (this.stmt.stored.get(r.account, r.folder, r.uid) === undefined) {
        const path = join(
          root,
          encodeName(r.account, 'account'),
          encodeName(r.folder, 'folder'),
          `${r.uid}.eml`,
        );
        try {
          await unlink(path);
        } catch (err) {
          if ((err as { code?: unknown } | null)?.code !== 'ENOENT') continue;
        }
      }
      this.stmt.remove.run(r.account, r.folder, r.uid);
      swept++;
    }
    return swept;
  }
}
