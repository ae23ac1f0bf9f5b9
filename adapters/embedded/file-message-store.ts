/**
 * MessageStore on local files: <dataDir>/messages/<shard>/<key>, shard = 2 hex chars of a hash
 * of the key. `put` streams into <dataDir>/messages/tmp, fdatasyncs, renames into place and
 * fsyncs the shard directory (concurrent puts share directory fsyncs) before resolving.
 * Failure: on a source or disk error the temp file is removed and `put` rejects; a crash leaves
 * at most an orphan temp file, which a later open sweeps once it is an hour old. Bodies no job
 * refers to any more are removed by orphan-bodies.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import type { BodyRef, MessageStore } from '../../core/ports/message-store.ts';
import { DirSyncer, sweepStaleTemp, writeStream } from './durable-file.ts';

const KEY = /^[A-Za-z0-9._-]{1,200}$/;

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  constructor(readonly key: string) {
    super(`invalid message key ${JSON.stringify(key)}: only A-Z a-z 0-9 . _ - (1..200 chars)`);
  }
}

export function validateKey(key: string): string {
  if (!KEY.test(key) || key === '.' || key === '..') throw new InvalidKeyError(key);
  return key;
}

export interface FileMessageStoreOptions {
  /** Directory fsync batcher; share one per process so puts share fsyncs. */
  readonly dirSyncer?: DirSyncer;
}

export class FileMessageStore implements MessageStore {
  private readonly root: string;
  private readonly tmp: string;
  readonly dirSyncer: DirSyncer;
  private readonly madeShards = new Set<string>();

  private constructor(dataDir: string, opts: FileMessageStoreOptions) {
    this.root = join(dataDir, 'messages');
    this.tmp = join(this.root, 'tmp');
    this.dirSyncer = opts.dirSyncer ?? new DirSyncer();
  }

  static async open(dataDir: string, opts: FileMessageStoreOptions = {}): Promise<FileMessageStore> {
    const store = new FileMessageStore(dataDir, opts);
    mkdirSync(store.tmp, { recursive: true });
    await sweepStaleTemp(store.tmp);
    return store;
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<BodyRef> {
    validateKey(key);
    const shardDir = await this.shardDir(key);
    const tmpPath = join(this.tmp, `${key}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(tmpPath, 'wx', 0o640);
    let size: number;
    try {
      try {
        size = await writeStream(handle, body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(tmpPath, join(shardDir, key));
    } catch (err) {
      destroySource(body, err);
      await unlink(tmpPath).catch(() => {});
      throw err;
    }
    // The rename is only durable once the directory entry is: fsync the shard directory.
    await this.dirSyncer.sync(shardDir);
    return { key, size };
  }

  async open(ref: BodyRef | string): Promise<Readable> {
    const key = validateKey(typeof ref === 'string' ? ref : ref.key);
    try {
      const handle = await open(this.pathOf(key), 'r');
      return handle.createReadStream();
    } catch (err) {
      if (errCode(err) === 'ENOENT') throw new MessageNotFoundError(key);
      throw err;
    }
  }

  async delete(ref: BodyRef | string): Promise<void> {
    const key = validateKey(typeof ref === 'string' ? ref : ref.key);
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (err) {
      if (errCode(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /** Keys of the stored bodies last written before `cutoffMs` (ms since epoch), shard by shard. */
  async *keysOlderThan(cutoffMs: number): AsyncGenerator<string> {
    for (const shard of await readdir(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue; // tmp/ and anything else is not a shard
      for (const key of await readdir(join(this.root, shard))) {
        const mtime = await stat(join(this.root, shard, key)).then(
          (st) => st.mtimeMs,
          () => undefined, // deleted meanwhile
        );
        if (mtime !== undefined && mtime < cutoffMs) yield key;
      }
    }
  }

  private pathOf(key: string): string {
    return join(this.root, shardOf(key), key);
  }

  private async shardDir(key: string): Promise<string> {
    const shard = shardOf(key);
    const dir = join(this.root, shard);
    if (!this.madeShards.has(shard)) {
      await mkdir(dir, { recursive: true });
      // A shard directory made now must itself survive a crash before files go into it.
      await this.dirSyncer.sync(this.root);
      this.madeShards.add(shard);
    }
    return dir;
  }
}

/** Queue ids are time-ordered, so their first characters barely vary: hash for the shard. */
export function shardOf(key: string): string {
  return createHash('sha1').update(key).digest('hex').slice(0, 2);
}

function destroySource(body: Readable | AsyncIterable<Uint8Array>, err: unknown): void {
  const r = body as Partial<Readable>;
  if (typeof r.destroy === 'function' && r.destroyed === false) r.destroy(err as Error);
}

export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
