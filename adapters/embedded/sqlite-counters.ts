/**
 * Counters on SQLite: fixed windows keyed (key, window length, window start), changed atomically
 * inside BEGIN IMMEDIATE with time from the injected clock. Every few hundred writes, windows
 * that ended more than an hour ago are deleted (the embedded stand-in for a DynamoDB TTL).
 * Failure: SQLite faults propagate; a bad window length or amount throws RangeError.
 */
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { ConsumeResult, Counters } from '../../core/ports/counters.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE counters (
     key TEXT NOT NULL,
     window_seconds INTEGER NOT NULL,
     window_start INTEGER NOT NULL,
     count INTEGER NOT NULL,
     ends_at INTEGER NOT NULL,
     PRIMARY KEY (key, window_seconds, window_start)
   ) WITHOUT ROWID;
   CREATE INDEX counters_ends ON counters (ends_at);`,
];

const SWEEP_EVERY = 500;
const KEEP_ENDED_MS = 60 * 60 * 1000;

interface Window {
  readonly key: string;
  readonly seconds: number;
  readonly start: number;
  readonly end: number;
}

export class SqliteCounters implements Counters {
  private readonly clock: Clock;
  private readonly stmt;
  // Starts one short of a sweep so that every process sweeps on its first write.
  private writes = SWEEP_EVERY - 1;

  constructor(
    private readonly db: Db,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'counters', MIGRATIONS);
    this.stmt = {
      peek: db
        .prepare<[string, number, number], number>(
          'SELECT count FROM counters WHERE key = ? AND window_seconds = ? AND window_start = ?',
        )
        .pluck(),
      add: db
        .prepare<[string, number, number, number, number], number>(
          `INSERT INTO counters (key, window_seconds, window_start, count, ends_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(key, window_seconds, window_start) DO UPDATE SET count = count + excluded.count
           RETURNING count`,
        )
        .pluck(),
      sweep: db.prepare('DELETE FROM counters WHERE ends_at < ?'),
    };
  }

  async tryConsume(key: string, windowSeconds: number, limit: number, amount = 1): Promise<ConsumeResult> {
    checkAmount(amount);
    const w = this.window(key, windowSeconds);
    const result = writeTx(this.db, () => {
      const current = this.stmt.peek.get(w.key, w.seconds, w.start) ?? 0;
      if (current + amount > limit) return { allowed: false, count: current, resetAt: w.end };
      const count = this.stmt.add.get(w.key, w.seconds, w.start, amount, w.end)!;
      return { allowed: true, count, resetAt: w.end };
    });
    this.maybeSweep();
    return result;
  }

  async add(key: string, windowSeconds: number, amount = 1): Promise<number> {
    checkAmount(amount);
    const w = this.window(key, windowSeconds);
    const count = this.stmt.add.get(w.key, w.seconds, w.start, amount, w.end)!;
    this.maybeSweep();
    return count;
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    const w = this.window(key, windowSeconds);
    return this.stmt.peek.get(w.key, w.seconds, w.start) ?? 0;
  }

  private window(key: string, windowSeconds: number): Window {
    if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError(`counter window ${windowSeconds}s must be a positive whole number of seconds`);
    }
    const length = windowSeconds * 1000;
    const start = Math.floor(this.clock.now() / length) * length;
    return { key, seconds: windowSeconds, start, end: start + length };
  }

  /** Old windows are dead weight only; drop them now and then, not on every call. */
  private maybeSweep(): void {
    this.writes++;
    if (this.writes % SWEEP_EVERY !== 0) return;
    this.stmt.sweep.run(this.clock.now() - KEEP_ENDED_MS);
  }
}

function checkAmount(amount: number): void {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`counter amount ${amount} must be >= 0`);
}
