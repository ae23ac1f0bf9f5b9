/**
 * Shared fdatasyncs of one SQLite WAL file through a descriptor kept open: one fdatasync runs at
 * a time; every caller that arrives while it runs shares the next one, which starts when it ends
 * (so each caller's answer comes from an fdatasync begun after its call). Keeping the descriptor
 * saves an open and a close on the thread pool per sync. It stays valid while this process's
 * connection to the database is open: SQLite removes the WAL only when the last connection
 * closes, and otherwise resets or truncates the same file. `release()` closes it (before the
 * connection closes); a later sync opens it again.
 * Failure: a failed open or fdatasync rejects every caller of that sync and closes the descriptor
 * (the next sync opens the file afresh); nothing is retried silently. A missing WAL file rejects
 * with ENOENT (GroupCommit.durable treats that as nothing to sync).
 */
import { close, fdatasync, open } from 'node:fs';
import { promisify } from 'node:util';

const openFile = promisify(open);
const datasync = promisify(fdatasync);
const closeFile = promisify(close);

export class WalSyncer {
  /** How many fdatasyncs actually ran (benchmarks and tests read it). */
  syncs = 0;
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly path: string) {}

  /** Resolves once the file has been fdatasynced by a sync that began after this call. */
  sync(): Promise<void> {
    const running = this.running;
    if (!running) return this.start();
    if (!this.queued) {
      const next = (): Promise<void> => {
        this.queued = undefined;
        return this.start();
      };
      this.queued = running.then(next, next);
    }
    return this.queued;
  }

  /** Close the descriptor once the syncs under way have finished. */
  async release(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeFile(fd);
  }

  private start(): Promise<void> {
    this.syncs++;
    const p = this.syncOnce().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async syncOnce(): Promise<void> {
    this.fd ??= await openFile(this.path, 'r');
    const fd = this.fd;
    try {
      await datasync(fd);
    } catch (err) {
      if (this.fd === fd) this.fd = undefined;
      await closeFile(fd).catch(() => {});
      throw err;
    }
  }
}
