/**
 * MailQueue and QueueOperator on SQLite with SQS semantics: receive leases jobs for a visibility period under a new
 * receipt, the receive count grows per receive, and a job received maxReceiveCount times without
 * an ack goes dead instead of being returned again. Enqueues and acks from one process are
 * group-committed (group-commit.ts: one transaction per loop turn and one WAL fsync, off the event
 * loop, for every commit made while the previous fsync ran; shared with the inline bodies of
 * file-message-store.ts). Leases
 * (receive, extend) are committed without an fsync: losing one in a power cut only makes the job
 * receivable again. A DSN or
 * RULE job's id is remembered for 15 days after it is acked or removed (table queue_done), so
 * enqueueing that id again is ignored, as the SQS index's `done` marker does.
 * Held jobs (park, hold) stay in the table with `dead = 2`, outside every receive, until a release.
 * Failure: a failed commit rejects every enqueue in its batch (none of them is stored); stale
 * receipts raise LeaseLostError (extend, reschedule, park) or are ignored (ack).
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_MAX_QUEUED, DEFAULT_MAX_RECEIVE_COUNT } from '../../core/config/defaults.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { LeaseLostError, QueueDelayError, QueueFullError } from '../../core/ports/errors.ts';
import type {
  LeasedJob,
  MailQueue,
  QueueDepth,
  QueueEntry,
  QueueEntryStatus,
  QueueJob,
  QueueOperator,
  ReceiveOptions,
} from '../../core/ports/mail-queue.ts';
import { MAX_DELAY_SECONDS } from '../../core/ports/mail-queue.ts';
import { GroupCommit } from './group-commit.ts';
import { busyTimeoutOf, type Db, isBusy, migrate, withoutBusyWait, withoutFsync, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE queue_jobs (
     id TEXT PRIMARY KEY,
     json TEXT NOT NULL,
     visible_at INTEGER NOT NULL,
     receive_count INTEGER NOT NULL DEFAULT 0,
     receipt TEXT,
     dead INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX queue_jobs_visible ON queue_jobs (dead, visible_at);`,
  // Ids of finished DSN and RULE jobs (derived ids): a repeated step that enqueues one again
  // after it was delivered is ignored, like the SQS index's `done` markers. Kept DONE_KEEP_MS.
  `CREATE TABLE queue_done (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX queue_done_at ON queue_done (at);`,
  // The number of non-dead jobs, kept by triggers: the maxQueued check on every enqueue commit
  // reads one row instead of counting the table (a count grows with the backlog it guards).
  `CREATE TABLE queue_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO queue_counts (name, n) SELECT 'live', COUNT(*) FROM queue_jobs WHERE dead != 1;
   CREATE TRIGGER queue_live_insert AFTER INSERT ON queue_jobs WHEN NEW.dead != 1
     BEGIN UPDATE queue_counts SET n = n + 1 WHERE name = 'live'; END;
   CREATE TRIGGER queue_live_delete AFTER DELETE ON queue_jobs WHEN OLD.dead != 1
     BEGIN UPDATE queue_counts SET n = n - 1 WHERE name = 'live'; END;
   CREATE TRIGGER queue_live_update AFTER UPDATE OF dead ON queue_jobs
     WHEN (OLD.dead != 1) != (NEW.dead != 1)
     BEGIN UPDATE queue_counts SET n = n + (NEW.dead != 1) - (OLD.dead != 1) WHERE name = 'live'; END;`,
];

/** How long a finished derived id is remembered (as long as the SQS index keeps its markers). */
const DONE_KEEP_MS = 15 * 24 * 3600 * 1000;

/** Sources whose ids are derived from the step that made them (see MailQueue.enqueue). */
const DERIVED_SOURCES: ReadonlySet<unknown> = new Set(['DSN', 'RULE']);

/** Long-poll interval: how often a waiting receive looks for jobs other processes enqueued. */
const POLL_MS = 50;

export interface SqliteMailQueueOptions {
  readonly clock?: Clock;
  readonly maxReceiveCount?: number;
  /** Cap on non-dead jobs; 0 = unlimited. */
  readonly maxQueued?: number;
  /** The group committer of `db` to share (with the inline bodies); default: a new one. */
  readonly committer?: GroupCommit;
}

interface JobRow {
  id: string;
  json: string;
  visible_at: number;
  receive_count: number;
  receipt: string | null;
  dead: number;
}

/**
 * The `dead` column is the row's lifecycle: 0 live (ready, delayed or in flight), 1 dead
 * (received maxReceiveCount times without an ack), 2 held by an operator's directive. Receives
 * only look at 0, so the held state costs the fast path nothing.
 */
const HELD = 2;
/** A row is in flight while a receipt holds it and its visibility has not run out. */
const IN_FLIGHT = 'dead = 0 AND receipt IS NOT NULL AND visible_at > @now';
const STATUS_WHERE: Record<QueueEntryStatus, string> = {
  dead: 'dead = 1',
  held: `dead = ${HELD}`,
  ready: 'dead = 0 AND visible_at <= @now',
  'in-flight': IN_FLIGHT,
  delayed: 'dead = 0 AND receipt IS NULL AND visible_at > @now',
};

export class SqliteMailQueue implements MailQueue, QueueOperator {
  readonly maxReceiveCount: number;
  /** Enqueue group-commit counters (benchmarks and tests read them). */
  readonly stats = { enqueueCalls: 0, enqueueCommits: 0 };
  private readonly clock: Clock;
  private readonly maxQueued: number;
  /** The queue database's group committer (shared with inline bodies in the same file). */
  readonly committer: GroupCommit;
  private txGeneration = -1;
  private txLive = 0;
  private closed = false;
  private forgotAt = 0;
  private readonly wakers = new Set<() => void>();
  private readonly stmt;

  constructor(
    private readonly db: Db,
    opts: SqliteMailQueueOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.maxReceiveCount = opts.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
    this.maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.committer = opts.committer ?? new GroupCommit(db);
    migrate(db, 'queue', MIGRATIONS);
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO queue_jobs (id, json, visible_at, created_at)
         SELECT @id, @json, @visibleAt, @createdAt WHERE NOT EXISTS (SELECT 1 FROM queue_done WHERE id = @id)
         ON CONFLICT(id) DO NOTHING`,
      ),
      // A DSN or RULE job that leaves the queue (acked or removed) leaves its id behind.
      remember: db.prepare('INSERT OR REPLACE INTO queue_done (id, at) VALUES (?, ?)'),
      forget: db.prepare('DELETE FROM queue_done WHERE at < ?'),
      countLive: db.prepare("SELECT n FROM queue_counts WHERE name = 'live'").pluck(),
      ready: db.prepare<[number, number], JobRow>(
        `SELECT id, json, visible_at, receive_count, receipt, dead FROM queue_jobs
         WHERE dead = 0 AND visible_at <= ? ORDER BY visible_at LIMIT ?`,
      ),
      anyReady: db.prepare<[number], unknown>(
        'SELECT 1 FROM queue_jobs WHERE dead = 0 AND visible_at <= ? LIMIT 1',
      ),
      lease: db.prepare(
        'UPDATE queue_jobs SET receipt = ?, visible_at = ?, receive_count = receive_count + 1 WHERE id = ?',
      ),
      kill: db.prepare('UPDATE queue_jobs SET dead = 1, receipt = NULL WHERE id = ?'),
      extend: db.prepare('UPDATE queue_jobs SET visible_at = ? WHERE id = ? AND receipt = ? AND dead = 0'),
      ack: db.prepare(
        `DELETE FROM queue_jobs WHERE id = ? AND receipt = ? AND dead = 0
         RETURNING json_extract(json, '$.source') AS source`,
      ),
      reschedule: db.prepare(
        `UPDATE queue_jobs SET json = ?, visible_at = ?, receipt = NULL, receive_count = 0
         WHERE id = ? AND receipt = ? AND dead = 0`,
      ),
      park: db.prepare(
        `UPDATE queue_jobs SET json = ?, dead = ${HELD}, receipt = NULL, receive_count = 0
         WHERE id = ? AND receipt = ? AND dead = 0`,
      ),
      hold: db.prepare(
        `UPDATE queue_jobs SET dead = ${HELD}, receipt = NULL, receive_count = 0
         WHERE id = @id AND dead = 0 AND NOT (${IN_FLIGHT})`,
      ),
      get: db.prepare<[string], JobRow>(
        'SELECT id, json, visible_at, receive_count, receipt, dead FROM queue_jobs WHERE id = ?',
      ),
      // A dead job released by the operator starts over, like an SQS DLQ redrive; a held one
      // (receive count already 0, no receipt) becomes ready.
      release: db.prepare(
        `UPDATE queue_jobs SET visible_at = MIN(visible_at, @now),
           receive_count = CASE WHEN dead = 1 THEN 0 ELSE receive_count END,
           receipt = CASE WHEN dead != 0 THEN NULL ELSE receipt END, dead = 0
         WHERE id = @id AND NOT (${IN_FLIGHT})`,
      ),
      setJson: db.prepare('UPDATE queue_jobs SET json = ? WHERE id = ?'),
      remove: db.prepare(
        `DELETE FROM queue_jobs WHERE id = @id AND NOT (${IN_FLIGHT})
         RETURNING json_extract(json, '$.source') AS source`,
      ),
      depth: db.prepare<{ now: number }, QueueDepth>(
        `SELECT COALESCE(SUM(${STATUS_WHERE.ready}), 0) AS ready,
           COALESCE(SUM(${STATUS_WHERE['in-flight']}), 0) AS inFlight,
           COALESCE(SUM(${STATUS_WHERE.delayed}), 0) AS delayed,
           COALESCE(SUM(${STATUS_WHERE.dead}), 0) AS dead,
           COALESCE(SUM(${STATUS_WHERE.held}), 0) AS held FROM queue_jobs`,
      ),
    };
  }

  enqueue(jobs: readonly QueueJob[], opts: { delaySeconds?: number } = {}): Promise<void> {
    try {
      const delay = checkDelay(opts.delaySeconds ?? 0);
      if (this.closed) throw new Error('mail queue is closed');
      if (jobs.length === 0) return Promise.resolve();
      const now = this.clock.now();
      // Serialise now: the caller may go on mutating its job objects after this call.
      const rows = jobs.map((job) => ({
        id: checkId(job.id),
        json: JSON.stringify(job),
        visibleAt: now + delay * 1000,
        createdAt: now,
      }));
      this.stats.enqueueCalls++;
      return this.committer.run(() => this.insertRows(rows)).then(() => this.wake());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One enqueue call inside the group transaction; the call is accepted or refused whole. */
  private insertRows(rows: readonly { id: string; json: string; visibleAt: number; createdAt: number }[]) {
    const gen = this.committer.generation;
    if (this.txGeneration !== gen) {
      // First enqueue of this transaction: count once, then keep the count up to date.
      this.txGeneration = gen;
      this.stats.enqueueCommits++;
      this.txLive = this.maxQueued > 0 ? (this.stmt.countLive.get() as number) : 0;
    }
    if (this.maxQueued > 0 && this.txLive + rows.length > this.maxQueued) {
      throw new QueueFullError(this.maxQueued);
    }
    // A job id already queued is not queued twice (a retried enqueue after a lost answer).
    let added = 0;
    for (const r of rows) added += this.stmt.insert.run(r).changes;
    this.txLive += added;
  }

  async receive(opts: ReceiveOptions): Promise<LeasedJob[]> {
    const visibility = checkVisibility(opts.visibilitySeconds);
    const max = Math.floor(opts.max);
    if (!(max > 0)) return [];
    const started = performance.now();
    const deadline = started + Math.max(0, opts.waitMs ?? 0);
    for (;;) {
      if (this.closed) return [];
      // The write lock held by another process: try again in a moment, the event loop serving
      // SMTP meanwhile, rather than sleep in SQLite's busy handler; past busy_timeout, wait there.
      const patient = performance.now() - started >= busyTimeoutOf(this.db);
      const got = patient ? this.receiveNow(max, visibility) : this.receiveUnlessBusy(max, visibility);
      if (got === undefined) {
        await this.sleep(1);
        continue;
      }
      if (got.length > 0) return got;
      const left = deadline - performance.now();
      if (left <= 0) return [];
      await this.sleep(Math.min(left, POLL_MS));
    }
  }

  /** receiveNow, or undefined at once when another process holds the write lock. */
  private receiveUnlessBusy(max: number, visibility: number): LeasedJob[] | undefined {
    try {
      return withoutBusyWait(this.db, () => this.receiveNow(max, visibility));
    } catch (err) {
      if (isBusy(err)) return undefined;
      throw err;
    }
  }

  private receiveNow(max: number, visibility: number): LeasedJob[] {
    // Idle pollers in many processes look with a plain read first, so they do not queue up
    // for the write lock when there is nothing to lease.
    if (this.stmt.anyReady.get(this.clock.now()) === undefined) return [];
    // A lease need not survive a power cut (withoutFsync): the job is then receivable again.
    return withoutFsync(this.db, () =>
      writeTx(this.db, () => {
        const now = this.clock.now();
        const out: LeasedJob[] = [];
        for (;;) {
          const rows = this.stmt.ready.all(now, max - out.length);
          let killed = 0;
          for (const row of rows) {
            if (row.receive_count >= this.maxReceiveCount) {
              this.stmt.kill.run(row.id);
              killed++;
              continue;
            }
            const receipt = `${row.id}:${randomBytes(12).toString('hex')}`;
            this.stmt.lease.run(receipt, now + visibility * 1000, row.id);
            out.push({ job: JSON.parse(row.json) as QueueJob, receipt, receiveCount: row.receive_count + 1 });
          }
          // Rows that went dead made room: look again, unless the queue had no more to give.
          if (killed === 0 || rows.length === 0 || out.length >= max) return out;
        }
      }),
    );
  }

  async extend(receipt: string, visibilitySeconds: number): Promise<void> {
    const visibility = checkVisibility(visibilitySeconds);
    const id = idOfReceipt(receipt);
    const changed =
      id !== undefined &&
      withoutFsync(this.db, () => this.stmt.extend.run(this.clock.now() + visibility * 1000, id, receipt))
        .changes > 0;
    if (!changed) throw new LeaseLostError(receipt);
  }

  async ack(receipt: string): Promise<void> {
    const id = idOfReceipt(receipt);
    if (id === undefined) return;
    // Group commit, like enqueue: acks (and enqueues, and inline bodies) of the same loop turn
    // share one transaction and one fsync.
    await this.committer.run(() => {
      const now = this.clock.now();
      const gone = this.stmt.ack.get(id, receipt) as { source: unknown } | undefined;
      if (gone && DERIVED_SOURCES.has(gone.source)) this.stmt.remember.run(id, now);
      this.forgetOldIds(now);
    });
  }

  async reschedule(receipt: string, job: QueueJob, delaySeconds: number): Promise<void> {
    const delay = checkDelay(delaySeconds);
    const id = idOfReceipt(receipt);
    if (id !== undefined && job.id !== id) {
      throw new Error(`reschedule of job ${job.id} with the receipt of job ${id}`);
    }
    // A rescheduled job starts a fresh receive count, as SQS's send-new-then-delete-old does.
    const changed =
      id !== undefined &&
      this.stmt.reschedule.run(JSON.stringify(job), this.clock.now() + delay * 1000, id, receipt).changes > 0;
    if (!changed) throw new LeaseLostError(receipt);
    this.wake();
  }

  async park(receipt: string, job: QueueJob): Promise<void> {
    const id = idOfReceipt(receipt);
    if (id !== undefined && job.id !== id)
      throw new Error(`park of job ${job.id} with the receipt of job ${id}`);
    const changed = id !== undefined && this.stmt.park.run(JSON.stringify(job), id, receipt).changes > 0;
    if (!changed) throw new LeaseLostError(receipt);
  }

  async hold(jobId: string): Promise<boolean> {
    if (this.stmt.hold.run({ id: jobId, now: this.clock.now() }).changes > 0) return true;
    return this.stmt.get.get(jobId)?.dead === HELD;
  }

  async list(opts: { limit?: number; status?: QueueEntryStatus } = {}): Promise<QueueEntry[]> {
    const now = this.clock.now();
    const where = opts.status ? `WHERE ${STATUS_WHERE[opts.status]}` : '';
    const rows = this.db
      .prepare<{ now: number; limit: number }, JobRow>(
        `SELECT id, json, visible_at, receive_count, receipt, dead FROM queue_jobs ${where}
         ORDER BY created_at, id LIMIT @limit`,
      )
      .all({ now, limit: Math.max(0, Math.floor(opts.limit ?? 1000)) });
    return rows.map((row) => toEntry(row, now));
  }

  async get(jobId: string): Promise<QueueEntry | undefined> {
    const row = this.stmt.get.get(jobId);
    return row ? toEntry(row, this.clock.now()) : undefined;
  }

  async releaseNow(jobId: string, opts: { readonly clearNotBefore?: boolean } = {}): Promise<boolean> {
    const changed = writeTx(this.db, () => {
      const now = this.clock.now();
      if (this.stmt.release.run({ id: jobId, now }).changes === 0) return false;
      if (opts.clearNotBefore) {
        // Same transaction as the release: no processor can lease the job in between.
        const row = this.stmt.get.get(jobId)!;
        const job = JSON.parse(row.json) as QueueJob;
        if (job.notBefore !== undefined) {
          delete job.notBefore;
          this.stmt.setJson.run(JSON.stringify(job), jobId);
        }
      }
      return true;
    });
    if (changed) this.wake();
    return changed;
  }

  async remove(jobId: string): Promise<boolean> {
    const now = this.clock.now();
    return writeTx(this.db, () => {
      const gone = this.stmt.remove.get({ id: jobId, now }) as { source: unknown } | undefined;
      if (gone && DERIVED_SOURCES.has(gone.source)) this.stmt.remember.run(jobId, now);
      return gone !== undefined;
    });
  }

  /** Drop remembered ids older than DONE_KEEP_MS, at most once an hour per process. */
  private forgetOldIds(now: number): void {
    if (now - this.forgotAt < 3600_000) return;
    this.forgotAt = now;
    this.stmt.forget.run(now - DONE_KEEP_MS);
  }

  async depth(): Promise<QueueDepth> {
    const row = this.stmt.depth.get({ now: this.clock.now() })!;
    return { ready: row.ready, inFlight: row.inFlight, delayed: row.delayed, dead: row.dead, held: row.held };
  }

  /** The body keys of every job the queue holds, dead ones included (for the orphan sweep). */
  bodyKeys(): Set<string> {
    const rows = this.db
      .prepare("SELECT json_extract(json, '$.body.key') FROM queue_jobs")
      .pluck()
      .all() as string[];
    return new Set(rows);
  }

  /** Commit what is pending, refuse further enqueues and end long polls. The db stays open. */
  close(): void {
    if (this.closed) return;
    this.committer.flush();
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Sleep until the poll interval passes or this process enqueues something. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}

function toEntry(row: JobRow, now: number): QueueEntry {
  let status: QueueEntryStatus;
  if (row.dead === HELD) status = 'held';
  else if (row.dead) status = 'dead';
  else if (row.visible_at <= now) status = 'ready';
  else status = row.receipt === null ? 'delayed' : 'in-flight';
  return {
    job: JSON.parse(row.json) as QueueJob,
    status,
    receiveCount: row.receive_count,
    visibleAt: row.visible_at,
  };
}

function checkDelay(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DELAY_SECONDS) {
    throw new QueueDelayError(seconds);
  }
  return seconds;
}

function checkVisibility(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`visibility ${seconds}s must be a finite number of seconds >= 0`);
  }
  return seconds;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('queue job without an id');
  return id;
}

/** Receipts are "<job id>:<random hex>"; the id is what precedes the last colon. */
function idOfReceipt(receipt: string): string | undefined {
  const at = typeof receipt === 'string' ? receipt.lastIndexOf(':') : -1;
  return at > 0 ? receipt.slice(0, at) : undefined;
}
