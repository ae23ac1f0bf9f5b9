/**
 * Group commit on one SQLite connection: every write submitted with `run` while the event loop
 * is busy (including while the previous commit's fsync blocked it) joins one IMMEDIATE
 * transaction, so one WAL fsync covers them all. Nothing waits on a timer: the commit runs on the
 * next loop turn after the first submission (setImmediate, so the I/O completions of this turn
 * join in). Each caller's work runs in its own savepoint and its promise settles only after the
 * COMMIT (synchronous=FULL) returned.
 * Failure: work that throws rolls back its own savepoint and rejects only its caller; a failed
 * BEGIN or COMMIT rejects every caller of the batch, and none of their writes is stored.
 */
import type { Db } from './sqlite.ts';

interface Pending {
  readonly work: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit {
  /** Submissions and commits so far (benchmarks and tests read them). */
  readonly stats = { requests: 0, commits: 0 };
  /** Increases with every transaction; work can cache per-transaction facts under it. */
  generation = 0;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly db: Db) {}

  /** Run `work` inside the next group transaction; resolves with its value once committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commit whatever is pending now (also called on close). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.stats.requests += batch.length;
    this.stats.commits++;
    this.generation++;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
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
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.value);
    });
  }
}
