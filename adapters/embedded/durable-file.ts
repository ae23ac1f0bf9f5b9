/**
 * Shared helpers for durable files: a directory fsync batcher (concurrent callers that renamed a
 * file into the same directory share one fsync; callers arriving before the running fsync was
 * issued join it, later ones share the next), a streaming writer that copies a source into an
 * open file holding no more than one small coalescing buffer, and a sweeper for orphan temp files.
 * Failure: a failed fsync rejects every caller waiting on it; nothing is retried silently.
 */

import type { FileHandle } from 'node:fs/promises';
import { open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

interface DirState {
  /** The fsync now running; callers that renamed before it started are covered by it. */
  running: Promise<void> | undefined;
  /** The next fsync, shared by every caller that arrives while one is running. */
  queued: Promise<void> | undefined;
  /** True while the running fsync has not yet been issued: a caller arriving now is covered by it. */
  joinable: boolean;
}

export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();
  /** How many fsyncs actually ran (benchmarks and tests read it). */
  syncs = 0;

  /** Resolves once `dir` has been fsynced after this call was made. */
  sync(dir: string): Promise<void> {
    let state = this.dirs.get(dir);
    if (!state) {
      state = { running: undefined, queued: undefined, joinable: false };
      this.dirs.set(dir, state);
    }
    const running = state.running;
    if (!running) return this.start(dir, state);
    // The running fsync is not issued yet (its open is pending): our rename precedes it, join it.
    if (state.joinable) return running;
    // A running fsync may have started before our rename: wait for the next one, shared.
    let queued = state.queued;
    if (!queued) {
      const s = state;
      const next = (): Promise<void> => this.startQueued(dir, s);
      queued = running.then(next, next);
      s.queued = queued;
    }
    return queued;
  }

  private startQueued(dir: string, state: DirState): Promise<void> {
    state.queued = undefined;
    state.running = undefined;
    return this.start(dir, state);
  }

  private start(dir: string, state: DirState): Promise<void> {
    this.syncs++;
    state.joinable = true;
    const p = fsyncDir(dir, () => {
      state.joinable = false;
    }).finally(() => {
      if (state.running === p) {
        state.running = undefined;
        state.joinable = false;
      }
      if (!state.running && !state.queued) this.dirs.delete(dir);
    });
    state.running = p;
    return p;
  }
}

/** Fsync `dir` (or a file); `issuing` is called just before the fsync is handed to the thread pool. */
export async function fsyncDir(dir: string, issuing?: () => void): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    issuing?.();
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const COALESCE_BYTES = 256 * 1024;

/**
 * Copy `body` into `handle`, coalescing small chunks (SMTP DATA arrives in small pieces) into
 * writes of up to 256 KiB. Awaiting each write gives backpressure: the source is not read
 * faster than the disk takes it. Returns the number of bytes written.
 */
export async function writeStream(
  handle: FileHandle,
  body: Readable | AsyncIterable<Uint8Array>,
): Promise<number> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let off = 0;
    while (off < buf.byteLength) {
      const { bytesWritten } = await handle.write(buf, off, buf.byteLength - off);
      off += bytesWritten;
    }
  };
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (bytes.byteLength === 0) continue;
    pending.push(bytes);
    pendingBytes += bytes.byteLength;
    total += bytes.byteLength;
    if (pendingBytes >= COALESCE_BYTES) await flush();
  }
  await flush();
  return total;
}

/** Temp files older than this belong to a process that died; live ones are younger. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** Remove orphan temp files a crashed process left in `dir`. */
export async function sweepStaleTemp(dir: string): Promise<void> {
  const cutoff = Date.now() - STALE_TMP_MS;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    try {
      if ((await stat(path)).mtimeMs < cutoff) await unlink(path);
    } catch {
      // Another process swept or finished it first.
    }
  }
}
