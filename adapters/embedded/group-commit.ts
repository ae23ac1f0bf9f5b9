/**
 * Group commit on one SQLite connection (WAL mode): every write submitted with `run` in one turn
 * of the event loop joins one IMMEDIATE transaction, committed without an fsync on the event loop
 * (synchronous=NORMAL for that transaction: the WAL frames are written, not yet synced). The WAL
 * file is then fdatasynced on libuv's thread pool, shared (WalSyncer) by every batch committed while
 * the previous fsync ran, and only then do the batch's callers' promises settle: a caller sees
 * success only once an fsync that began after its commit has finished, as with synchronous=FULL,
 * but the event loop goes on with SMTP meanwhile. Nothing waits on a timer: the commit runs on the
 * next loop turn after the first submission (setImmediate, so the I/O completions of this turn
 * join in).
 * Failure: work that throws rolls back its own savepoint and rejects only its caller; a failed
 * BEGIN or COMMIT rejects every caller of the batch and stores none of their writes; a failed
 * fsync rejects every caller waiting on it with an error `outcomeUnknown` recognises (their rows
 * may then survive; a retried message can be delivered twice, never lost).
 * `run(work, { durable: false })` settles right after the commit, without waiting for an fsync
 * (for reservations whose loss in a power cut is harmless); `durable()` waits for an fsync of
 * what is committed so far (before answering from a row another caller committed).
 */
import { busyTimeoutOf, type Db, isBusy, withoutBusyWait, withoutFsync } from './sqlite.ts';
import { WalSyncer } from './wal-syncer.ts';

/** Retries on the next loop turns before waiting a millisecond between them. */
const BUSY_QUICK_RETRIES = 3;

/** Errors of a WAL fsync that ran after a successful commit: the writes may or may not survive. */
const afterCommit = new WeakSet<object>();

/** True when `err` came from the fsync after a commit, so the caller's writes may be stored. */
export function outcomeUnknown(err: unknown): boolean {
  return typeof err === 'object' && err !== null && afterCommit.has(err);
}

interface Pending {
  readonly work: () => unknown;
  readonly durable: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit {
  /** Submissions and commits so far (benchmarks and tests read them). */
  readonly stats = { requests: 0, commits: 0, busyRetries: 0 };
  /** Increases with every transaction; work can cache per-transaction facts under it. */
  generation = 0;
  private pending: Pending[] = [];
  /** Settles after the last batch's callers did (fsyncs finish in order). */
  private settled: Promise<void> = Promise.resolve();
  private scheduled = false;
  /** When this batch first found the write lock taken (undefined: not waiting for it). */
  private busySince: number | undefined;
  /** Tries of the batch since then. */
  private busyAttempts = 0;

  /** Fsyncs of the WAL file: one runs, the batches committed meanwhile share the next. */
  private readonly walSyncer: WalSyncer;

  constructor(private readonly db: Db) {
    this.walSyncer = new WalSyncer(`${db.name}-wal`);
  }

  /** Run `work` inside the next group transaction; resolves with its value once committed. */
  run<T>(work: () => T, opts: { durable?: boolean } = {}): Promise<T> {
    const durable = opts.durable ?? true;
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, durable, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Commit whatever is pending now (also called on close). While another process holds the
   * write lock the batch is tried again a moment later instead of sleeping in SQLite's busy
   * handler on the event loop, for as long as the connection's busy_timeout; `blockOnBusy`
   * waits in SQLite instead (a close cannot come back later).
   */
  flush(blockOnBusy = false): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.generation++;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const commit = () =>
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              // A nested transaction is a savepoint: a throwing item undoes only its own writes.
              outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
            } catch (err) {
              outcomes.push({ ok: false, value: err });
            }
          }
        })
        .immediate();
    try {
      withoutFsync(this.db, () => (blockOnBusy ? commit() : withoutBusyWait(this.db, commit)));
    } catch (err) {
      if (!blockOnBusy && isBusy(err) && this.retryLater(batch)) return;
      this.busySince = undefined;
      for (const item of batch) item.reject(err);
      return;
    }
    this.busySince = undefined;
    this.stats.requests += batch.length;
    this.stats.commits++;
    const settle = (item: Pending, i: number): void => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    };
    batch.forEach((item, i) => {
      if (!item.durable) settle(item, i);
    });
    const waiting = batch.filter((item) => item.durable);
    if (waiting.length === 0) return;
    this.settled = this.walSyncer.sync().then(
      () => {
        batch.forEach((item, i) => {
          if (item.durable) settle(item, i);
        });
      },
      (err: unknown) => {
        if (typeof err === 'object' && err !== null) afterCommit.add(err);
        for (const item of waiting) item.reject(err);
      },
    );
  }

  /**
   * The write lock is taken (SQLITE_BUSY at BEGIN: nothing of the batch ran): put the batch back
   * in front and try again shortly, the event loop serving SMTP meanwhile. A lock is held for a
   * commit's length (a fraction of a millisecond): the first retries come on the next loop turns,
   * later ones every millisecond. False once the connection's busy_timeout has passed.
   */
  private retryLater(batch: Pending[]): boolean {
    const now = Date.now();
    if (this.busySince === undefined) {
      this.busySince = now;
      this.busyAttempts = 0;
    }
    if (now - this.busySince >= busyTimeoutOf(this.db)) return false;
    this.pending = batch.concat(this.pending);
    this.stats.busyRetries++;
    this.busyAttempts++;
    this.scheduled = true;
    if (this.busyAttempts <= BUSY_QUICK_RETRIES) setImmediate(() => this.flush());
    else setTimeout(() => this.flush(), 1);
    return true;
  }

  /** Resolves once an fsync of the WAL begun after this call has finished. */
  async durable(): Promise<void> {
    try {
      await this.walSyncer.sync();
    } catch (err) {
      // No WAL file: everything committed is in the (checkpointed, synced) database file.
      if ((err as { code?: unknown } | null)?.code !== 'ENOENT') throw err;
    }
  }

  /**
   * Commit what is pending, wait until every caller so far has its answer, and close the WAL
   * descriptor (before the database closes; a later commit opens it again).
   */
  async drain(): Promise<void> {
    this.flush(true);
    await this.settled;
    await this.walSyncer.release();
  }

  /** WAL fsyncs actually run (fewer than commits when commits arrive during an fsync). */
  get fsyncs(): number {
    return this.walSyncer.syncs;
  }
}
