/**
 * MailboxStore on files + a SQLite index: bodies at <dataDir>/mailboxes/<account>/<folder>/<uid>.eml
 * (names percent-encoded, so no input can leave the tree), index rows in the shared database.
 * append streams to a temp file and fdatasyncs it, then works through a group commit
 * (group-commit.ts: appends in flight share transactions and WAL fsyncs): (1) checks the epoch
 * fence and the delivery key, allocates the UID and renames the file into place (commit not
 * fsynced); (2) fsyncs the folder directory (shared by appends into it); (3) checks fence and key
 * again and inserts the row; the caller is answered after the WAL fsync that follows. So a row
 * only ever commits after its body is durable, and an answer only after the row is.
 * Step 1 records the reservation and step 3 removes it (mailbox-reservations.ts): the body of an
 * append killed in between is deleted at the next open.
 * Failure: a failed check or commit removes the file (its UID stays unused; UIDs may have gaps);
 * a failed commit fails every append of its batch; after a failed WAL fsync the file is kept (the
 * row may be stored) and the caller still gets the error, so the delivery is retried.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkAccount, checkFolder, encodeName, MailboxNameError } from '../../core/mail/mailbox-names.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { StaleEpochError } from '../../core/ports/errors.ts';
import type {
  AppendRequest,
  AppendResult,
  MailboxMessage,
  MailboxStore,
} from '../../core/ports/mailbox-store.ts';
import { DirSyncer, sweepStaleTemp, writeStream } from './durable-file.ts';
import { errCode } from './file-message-store.ts';
import { GroupCommit, outcomeUnknown } from './group-commit.ts';
import { RESERVATIONS_MIGRATION, Reservations } from './mailbox-reservations.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE mbx_folders (
     account TEXT NOT NULL,
     folder TEXT NOT NULL,
     next_uid INTEGER NOT NULL,
     PRIMARY KEY (account, folder)
   ) WITHOUT ROWID;
   CREATE TABLE mbx_messages (
     account TEXT NOT NULL,
     folder TEXT NOT NULL,
     uid INTEGER NOT NULL,
     size INTEGER NOT NULL,
     flags TEXT NOT NULL,
     internal_date INTEGER NOT NULL,
     delivery_key TEXT NOT NULL,
     PRIMARY KEY (account, folder, uid),
     UNIQUE (account, delivery_key)
   ) WITHOUT ROWID;
   CREATE TABLE mbx_epochs (account TEXT PRIMARY KEY, epoch INTEGER NOT NULL) WITHOUT ROWID;`,
  RESERVATIONS_MIGRATION,
  // Bytes stored per account, kept by triggers: the quota check on every recipient reads one
  // row instead of summing the account's messages (a sum grows with the mailbox).
  `CREATE TABLE mbx_usage (account TEXT PRIMARY KEY, bytes INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO mbx_usage (account, bytes) SELECT account, SUM(size) FROM mbx_messages GROUP BY account;
   CREATE TRIGGER mbx_usage_insert AFTER INSERT ON mbx_messages BEGIN
     INSERT INTO mbx_usage (account, bytes) VALUES (NEW.account, NEW.size)
       ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes;
   END;
   CREATE TRIGGER mbx_usage_delete AFTER DELETE ON mbx_messages BEGIN
     UPDATE mbx_usage SET bytes = bytes - OLD.size WHERE account = OLD.account;
   END;
   CREATE TRIGGER mbx_usage_update AFTER UPDATE OF account, size ON mbx_messages BEGIN
     UPDATE mbx_usage SET bytes = bytes - OLD.size WHERE account = OLD.account;
     INSERT INTO mbx_usage (account, bytes) VALUES (NEW.account, NEW.size)
       ON CONFLICT(account) DO UPDATE SET bytes = bytes + excluded.bytes;
   END;`,
];

interface MessageRow {
  folder: string;
  uid: number;
  size: number;
  flags: string;
  internal_date: number;
  delivery_key: string;
}

export { encodeName, MailboxNameError } from '../../core/mail/mailbox-names.ts';

export class FileMailboxStore implements MailboxStore {
  private readonly root: string;
  private readonly tmp: string;
  private readonly clock: Clock;
  private readonly dirSyncer: DirSyncer;
  private readonly madeDirs = new Set<string>();
  /** Appends in flight share index commits and WAL fsyncs (tests read its counters). */
  readonly committer: GroupCommit;
  private readonly reservations: Reservations;
  private readonly stmt;

  static async open(
    db: Db,
    dataDir: string,
    opts: { clock?: Clock; dirSyncer?: DirSyncer } = {},
  ): Promise<FileMailboxStore> {
    const store = new FileMailboxStore(db, dataDir, opts);
    await sweepStaleTemp(store.tmp);
    await store.reservations.sweep(store.root, store.clock.now());
    return store;
  }

  private constructor(db: Db, dataDir: string, opts: { clock?: Clock; dirSyncer?: DirSyncer } = {}) {
    this.root = join(dataDir, 'mailboxes');
    this.tmp = join(this.root, 'tmp');
    this.clock = opts.clock ?? systemClock;
    this.dirSyncer = opts.dirSyncer ?? new DirSyncer();
    this.committer = new GroupCommit(db);
    mkdirSync(this.tmp, { recursive: true });
    migrate(db, 'mailboxes', MIGRATIONS);
    this.reservations = new Reservations(db);
    this.stmt = {
      epoch: db.prepare<[string], number>('SELECT epoch FROM mbx_epochs WHERE account = ?').pluck(),
      raiseEpoch: db.prepare(
        `INSERT INTO mbx_epochs (account, epoch) VALUES (?, ?)
         ON CONFLICT(account) DO UPDATE SET epoch = MAX(epoch, excluded.epoch)`,
      ),
      byKey: db
        .prepare<[string, string], number>(
          'SELECT uid FROM mbx_messages WHERE account = ? AND delivery_key = ?',
        )
        .pluck(),
      nextUid: db
        .prepare<[string, string], number>(
          `INSERT INTO mbx_folders (account, folder, next_uid) VALUES (?, ?, 2)
           ON CONFLICT(account, folder) DO UPDATE SET next_uid = next_uid + 1
           RETURNING next_uid - 1`,
        )
        .pluck(),
      insert: db.prepare(
        `INSERT INTO mbx_messages (account, folder, uid, size, flags, internal_date, delivery_key)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      list: db.prepare<[string, string], MessageRow>(
        'SELECT * FROM mbx_messages WHERE account = ? AND folder = ? ORDER BY uid',
      ),
      one: db.prepare<[string, string, number], MessageRow>(
        'SELECT * FROM mbx_messages WHERE account = ? AND folder = ? AND uid = ?',
      ),
      folders: db
        .prepare<[string], string>('SELECT folder FROM mbx_folders WHERE account = ? ORDER BY folder')
        .pluck(),
      usage: db.prepare<[string], number>('SELECT bytes FROM mbx_usage WHERE account = ?').pluck(),
    };
  }

  async append(req: AppendRequest, body: Readable | AsyncIterable<Uint8Array>): Promise<AppendResult> {
    const account = checkAccount(req.account);
    const folder = checkFolder(req.folder);
    const key = req.deliveryKey;
    if (typeof key !== 'string' || key.length === 0 || key.length > 1000) {
      throw new MailboxNameError('delivery key', String(key));
    }
    if (!Number.isSafeInteger(req.epoch)) throw new RangeError(`lease epoch ${req.epoch} is not an integer`);

    // Cheap early answers, so a stale or repeated delivery does not write a body at all;
    // the transaction below decides for real.
    const seen = this.stmt.epoch.get(account);
    if (seen !== undefined && req.epoch < seen) throw new StaleEpochError(account, req.epoch, seen);
    const earlier = this.stmt.byKey.get(account, key);
    if (earlier !== undefined) {
      discard(body);
      // The row may be committed but not yet fsynced (another append's batch): wait for that.
      await this.committer.durable();
      return { uid: earlier, duplicate: true };
    }

    const dir = await this.folderDir(account, folder);
    const tmpPath = join(this.tmp, `${randomBytes(12).toString('hex')}.tmp`);
    let size: number;
    const handle = await open(tmpPath, 'wx', 0o640);
    try {
      try {
        size = await writeStream(handle, body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      discard(body);
      await unlink(tmpPath).catch(() => {});
      throw err;
    }

    let placed: string | undefined;
    try {
      // 1. Reserve a UID and put the body under its name. Not fsynced: if a power cut loses the
      // reservation, the UID is handed out again and its orphan file replaced (see below).
      const reserved = await this.committer.run(
        (): AppendResult => {
          const dup = this.fence(account, req.epoch, key);
          if (dup) return dup;
          const uid = this.stmt.nextUid.get(account, folder)!;
          const final = join(dir, `${uid}.eml`);
          // A file already at this name is an orphan of a crash before its commit: replace it.
          renameSync(tmpPath, final);
          placed = final;
          // Should this append die before its row, the next open deletes the body.
          this.reservations.add(account, folder, uid, this.clock.now());
          return { uid, duplicate: false };
        },
        { durable: false },
      );
      if (reserved.duplicate) {
        await unlink(tmpPath).catch(() => {});
        await this.committer.durable();
        return reserved;
      }
      // 2. The rename is durable before the row commits: an index row must never outlive its body.
      // Appends into one folder share this fsync.
      await this.dirSyncer.sync(dir);
      // 3. The row, in the next group commit; answered after the WAL fsync shared by the batch.
      const result = await this.committer.run((): AppendResult => {
        const dup = this.fence(account, req.epoch, key);
        this.reservations.remove(account, folder, reserved.uid);
        if (dup) return dup;
        const flags = JSON.stringify([...(req.flags ?? [])]);
        this.stmt.insert.run(account, folder, reserved.uid, size, flags, this.clock.now(), key);
        return reserved;
      });
      if (result.duplicate) tryUnlinkSync(placed!);
      return result;
    } catch (err) {
      // After a failed WAL fsync the row may be stored: keep the body it would point at.
      if (outcomeUnknown(err)) throw err;
      if (placed) tryUnlinkSync(placed);
      else await unlink(tmpPath).catch(() => {});
      throw err;
    }
  }

  /**
   * Inside a transaction: reject a stale lease epoch (and record this one), and return the
   * earlier delivery's answer when the key is already stored.
   */
  private fence(account: string, epoch: number, key: string): AppendResult | undefined {
    const current = this.stmt.epoch.get(account);
    if (current !== undefined && epoch < current) throw new StaleEpochError(account, epoch, current);
    this.stmt.raiseEpoch.run(account, epoch);
    const dup = this.stmt.byKey.get(account, key);
    return dup === undefined ? undefined : { uid: dup, duplicate: true };
  }

  /** Answer every append submitted so far (before the database closes). */
  drain(): Promise<void> {
    return this.committer.drain();
  }

  async list(account: string, folder: string): Promise<MailboxMessage[]> {
    return this.stmt.list.all(checkAccount(account), checkFolder(folder)).map(toMessage);
  }

  async read(account: string, folder: string, uid: number): Promise<Readable | undefined> {
    const acc = checkAccount(account);
    const fol = checkFolder(folder);
    if (!Number.isSafeInteger(uid)) return undefined;
    const row = this.stmt.one.get(acc, fol, uid);
    if (!row) return undefined;
    const handle = await open(
      join(this.root, encodeName(acc, 'account'), encodeName(fol, 'folder'), `${uid}.eml`),
      'r',
    );
    return handle.createReadStream();
  }

  async folders(account: string): Promise<string[]> {
    return this.stmt.folders.all(checkAccount(account));
  }

  async usage(account: string): Promise<number> {
    return this.stmt.usage.get(checkAccount(account)) ?? 0;
  }

  private async folderDir(account: string, folder: string): Promise<string> {
    const accountDir = join(this.root, encodeName(account, 'account'));
    const dir = join(accountDir, encodeName(folder, 'folder'));
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      // New directories must survive a crash before files are renamed into them.
      await this.dirSyncer.sync(this.root);
      await this.dirSyncer.sync(accountDir);
      this.madeDirs.add(dir);
    }
    return dir;
  }
}

function toMessage(row: MessageRow): MailboxMessage {
  return {
    uid: row.uid,
    folder: row.folder,
    size: row.size,
    flags: JSON.parse(row.flags) as string[],
    internalDate: row.internal_date,
    deliveryKey: row.delivery_key,
  };
}

function tryUnlinkSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
  }
}

/** A body we will not read: release the source (a file stream holds a descriptor). */
function discard(body: Readable | AsyncIterable<Uint8Array>): void {
  const r = body as Partial<Readable>;
  if (typeof r.destroy === 'function' && r.destroyed === false) r.destroy();
}
