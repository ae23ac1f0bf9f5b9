/**
 * MailboxStore on files + a SQLite index: bodies at <dataDir>/mailboxes/<account>/<folder>/<uid>.eml
 * (names percent-encoded, so no input can leave the tree), index rows in the shared database.
 * append streams to a temp file and fdatasyncs it, then in one IMMEDIATE transaction checks the
 * epoch fence and the delivery key, allocates the UID, renames the file into place, fsyncs the
 * folder directory and inserts the row. Failure: the temp (or renamed) file is removed and the
 * transaction rolls back, so an index row never points at a missing body.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync } from 'node:fs';
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
import { type Db, migrate, writeTx } from './sqlite.ts';

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
  private readonly stmt;

  static async open(
    db: Db,
    dataDir: string,
    opts: { clock?: Clock; dirSyncer?: DirSyncer } = {},
  ): Promise<FileMailboxStore> {
    const store = new FileMailboxStore(db, dataDir, opts);
    await sweepStaleTemp(store.tmp);
    return store;
  }

  private constructor(
    private readonly db: Db,
    dataDir: string,
    opts: { clock?: Clock; dirSyncer?: DirSyncer } = {},
  ) {
    this.root = join(dataDir, 'mailboxes');
    this.tmp = join(this.root, 'tmp');
    this.clock = opts.clock ?? systemClock;
    this.dirSyncer = opts.dirSyncer ?? new DirSyncer();
    mkdirSync(this.tmp, { recursive: true });
    migrate(db, 'mailboxes', MIGRATIONS);
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
      usage: db
        .prepare<[string], number>('SELECT COALESCE(SUM(size), 0) FROM mbx_messages WHERE account = ?')
        .pluck(),
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
      const result = writeTx(this.db, (): AppendResult => {
        const current = this.stmt.epoch.get(account);
        if (current !== undefined && req.epoch < current)
          throw new StaleEpochError(account, req.epoch, current);
        this.stmt.raiseEpoch.run(account, req.epoch);
        const dup = this.stmt.byKey.get(account, key);
        if (dup !== undefined) return { uid: dup, duplicate: true };
        const uid = this.stmt.nextUid.get(account, folder)!;
        const final = join(dir, `${uid}.eml`);
        // A file already at this name is an orphan of a crash before its commit: replace it.
        renameSync(tmpPath, final);
        placed = final;
        // Made durable before the row commits: an index row must never outlive its body.
        fsyncDirSync(dir);
        const flags = JSON.stringify([...(req.flags ?? [])]);
        this.stmt.insert.run(account, folder, uid, size, flags, this.clock.now(), key);
        return { uid, duplicate: false };
      });
      if (result.duplicate) await unlink(tmpPath).catch(() => {});
      return result;
    } catch (err) {
      if (placed) tryUnlinkSync(placed);
      else await unlink(tmpPath).catch(() => {});
      throw err;
    }
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

function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
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
