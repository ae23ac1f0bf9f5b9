/**
 * Opens the embedded SQLite database (better-sqlite3) the way every embedded adapter needs it:
 * WAL, synchronous=FULL (a commit is on disk when it returns), a 10 s busy timeout so several
 * processes can share one file, foreign keys on. `migrate` applies versioned schema steps per
 * component inside BEGIN IMMEDIATE, so processes opening at once apply each step exactly once.
 * Failure: open or migration errors are thrown to the caller; a failed step rolls back whole.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** One schema step; steps are applied in order and recorded as the component's version. */
export type Migration = string | ((db: Db) => void);

export function openDatabase(file: string): Db {
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.pragma('busy_timeout = 10000');
    setWalMode(db);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)',
    );
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Switching to WAL needs a moment of exclusive access; when another process is mid-open the
 * switch can report SQLITE_BUSY without waiting on the busy handler, so retry briefly.
 * Once a file is in WAL mode the setting is persistent and this is a no-op read.
 */
function setWalMode(db: Db): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() === 'wal') return;
      throw new Error(`could not switch SQLite database to WAL (mode ${String(mode)})`);
    } catch (err) {
      if (!isBusy(err) || Date.now() > deadline) throw err;
      sleepSync(20);
    }
  }
}

export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Bring `component`'s schema to `steps.length`. Runs in an IMMEDIATE transaction: the first
 * process to get the write lock applies missing steps; the others then see the new version.
 */
export function migrate(db: Db, component: string, steps: readonly Migration[]): void {
  const run = db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as
      | { version: number }
      | undefined;
    const current = row?.version ?? 0;
    if (current > steps.length) {
      throw new Error(
        `database schema of ${component} is version ${current}, newer than this program knows (${steps.length})`,
      );
    }
    for (let v = current; v < steps.length; v++) {
      const step = steps[v]!;
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    if (current !== steps.length) {
      db.prepare(
        'INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version',
      ).run(component, steps.length);
    }
  });
  run.immediate();
}

/** Run `fn` in a write transaction taken up front (BEGIN IMMEDIATE), never upgraded later. */
export function writeTx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/**
 * Run `fn` with this connection's commits not fsynced (synchronous=NORMAL), for writes whose loss
 * in a power cut is harmless (a receive's lease: the job becomes receivable again, which is right
 * once its holder is gone). In WAL mode such a commit still survives a crash of the process (it
 * is in the OS's page cache), and the next synchronous=FULL commit fsyncs the WAL up to it.
 */
export function withoutFsync<T>(db: Db, fn: () => T): T {
  const sync = synchronousStatements(db);
  sync.normal.run();
  try {
    return fn();
  } finally {
    sync.full.run();
  }
}

/**
 * Run `fn` with this connection's busy_timeout at 0: a write lock held elsewhere fails at once
 * with SQLITE_BUSY instead of sleeping in SQLite's busy handler (which blocks the event loop for
 * 1 ms and more per try). For callers that retry later themselves (group-commit.ts).
 */
export function withoutBusyWait<T>(db: Db, fn: () => T): T {
  const statements = busyStatements(db);
  const timeout = statements.read.get() as number;
  statements.set(0).run();
  try {
    return fn();
  } finally {
    statements.set(timeout).run();
  }
}

/** The connection's busy_timeout in ms. */
export function busyTimeoutOf(db: Db): number {
  return busyStatements(db).read.get() as number;
}

interface BusyStatements {
  readonly read: Database.Statement;
  /** `PRAGMA busy_timeout = ms` (a pragma takes no bound parameters: one statement per value). */
  set(ms: number): Database.Statement;
}

const busyCache = new WeakMap<Db, BusyStatements>();

function busyStatements(db: Db): BusyStatements {
  let cached = busyCache.get(db);
  if (!cached) {
    const setters = new Map<number, Database.Statement>();
    cached = {
      read: db.prepare('PRAGMA busy_timeout').pluck(),
      set(ms: number) {
        let statement = setters.get(ms);
        if (!statement) {
          statement = db.prepare(`PRAGMA busy_timeout = ${Math.trunc(ms)}`);
          setters.set(ms, statement);
        }
        return statement;
      },
    };
    busyCache.set(db, cached);
  }
  return cached;
}

/** The two synchronous pragmas of a connection, prepared once (they run around every group commit). */
const pragmaCache = new WeakMap<Db, { normal: Database.Statement; full: Database.Statement }>();

function synchronousStatements(db: Db): { normal: Database.Statement; full: Database.Statement } {
  let cached = pragmaCache.get(db);
  if (!cached) {
    cached = {
      normal: db.prepare('PRAGMA synchronous = NORMAL'),
      full: db.prepare('PRAGMA synchronous = FULL'),
    };
    pragmaCache.set(db, cached);
  }
  return cached;
}
