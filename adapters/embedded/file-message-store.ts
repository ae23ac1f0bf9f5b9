/**
 * MessageStore on local files: <dataDir>/messages/<shard>/<key>, shard = 2 hex chars of a hash
 * of the key. `put` streams into <dataDir>/messages/tmp, fdatasyncs, renames into place and
 * fsyncs the shard directory (concurrent puts share directory fsyncs) before resolving. With
 * `inline`, a body that ends within its threshold is kept in memory and stored in SQLite instead
 * (inline-bodies.ts, group-committed with the queue); reads, checks and deletes look there first.
 * Failure: on a source or disk error the temp file is removed and `put` rejects; a crash leaves
 * at most an orphan temp file, which a later open sweeps once it is an hour old. Bodies no job
 * refers to any more are removed by orphan-bodies.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import type { BodyRef, MessageStore } from '../../core/ports/message-store.ts';
import { DirSyncer, sweepStaleTemp, writeStream } from './durable-file.ts';
import type { InlineBodies } from './inline-bodies.ts';

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
  /** Where bodies up to its threshold go instead of files; absent = every body is a file. */
  readonly inline?: InlineBodies;
}

export class FileMessageStore implements MessageStore {
  private readonly root: string;
  private readonly tmp: string;
  readonly dirSyncer: DirSyncer;
  readonly inline: InlineBodies | undefined;
  private readonly madeShards = new Set<string>();

  private constructor(dataDir: string, opts: FileMessageStoreOptions) {
    this.root = join(dataDir, 'messages');
    this.tmp = join(this.root, 'tmp');
    this.dirSyncer = opts.dirSyncer ?? new DirSyncer();
    this.inline = opts.inline;
  }

  static async open(dataDir: string, opts: FileMessageStoreOptions = {}): Promise<FileMessageStore> {
    const store = new FileMessageStore(dataDir, opts);
    mkdirSync(store.tmp, { recursive: true });
    await sweepStaleTemp(store.tmp);
    return store;
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<BodyRef> {
    validateKey(key);
    if (!this.inline) return this.putFile(key, body, body);
    let head: Head;
    try {
      head = await readHead(body, this.inline.maxBytes);
    } catch (err) {
      destroySource(body, err);
      throw err;
    }
    if (head.rest) {
      const ref = await this.putFile(key, head.rest, body);
      // An older inline body under this key would shadow the new file: gone before we answer.
      await this.inline.delete(key, { durable: true });
      return ref;
    }
    const data = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks, head.bytes);
    await this.inline.put(key, data);
    return { key, size: data.byteLength };
  }

  /** The file way: temp file, fdatasync, rename, directory fsync. */
  private async putFile(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    source: Readable | AsyncIterable<Uint8Array>,
  ): Promise<BodyRef> {
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
      destroySource(source, err);
      await unlink(tmpPath).catch(() => {});
      throw err;
    }
    // The rename is only durable once the directory entry is: fsync the shard directory.
    await this.dirSyncer.sync(shardDir);
    return { key, size };
  }

  async open(ref: BodyRef | string): Promise<Readable> {
    const key = validateKey(typeof ref === 'string' ? ref : ref.key);
    const data = this.inline?.get(key);
    if (data) return Readable.from([data], { objectMode: false });
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
    // A key is inline or a file; an inline body needs no unlink (a file left under the same key
    // by an earlier put is an orphan the sweep removes).
    if (await this.inline?.delete(key, { durable: false })) return;
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    if (this.inline?.has(key)) return true;
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
    if (this.inline) yield* this.inline.keysOlderThan(cutoffMs);
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

interface Head {
  readonly chunks: Buffer[];
  readonly bytes: number;
  /** The whole body when it did not end within the limit: the chunks read, then the rest. */
  readonly rest?: AsyncIterable<Uint8Array>;
}

/** Read `body` into memory until it ends or passes `limit` bytes. */
async function readHead(body: Readable | AsyncIterable<Uint8Array>, limit: number): Promise<Head> {
  const it = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let bytes = 0;
  for (;;) {
    const next = await it.next();
    if (next.done) return { chunks, bytes };
    const chunk = asBuffer(next.value);
    chunks.push(chunk);
    bytes += chunk.byteLength;
    if (bytes > limit) return { chunks, bytes, rest: continued(chunks, it) };
  }
}

function asBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* continued(head: readonly Buffer[], it: AsyncIterator<Uint8Array | string>) {
  yield* head;
  for (;;) {
    const next = await it.next();
    if (next.done) return;
    yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
  }
}

function destroySource(body: Readable | AsyncIterable<Uint8Array>, err: unknown): void {
  const r = body as Partial<Readable>;
  if (typeof r.destroy === 'function' && r.destroyed === false) r.destroy(err as Error);
}

export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
