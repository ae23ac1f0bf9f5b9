/**
 * Message history on SQLite (its own file, history.db, since frontends and backends both write
 * it and neither should wait on the other's queue or mailbox commits). Events are JSON rows keyed
 * by queue id and time; lookup rows map a Message-ID or an address to queue ids. Each row carries
 * its expiry (written at + retention); rows past it are deleted at most every ten minutes per
 * process, on a write (the embedded stand-in for the DynamoDB TTL). synchronous=NORMAL: history
 * is best-effort, and a power cut may lose its last commits, never the database.
 * Failure: SQLite faults propagate (HistoryRecorder logs them and carries on).
 */
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import {
  addressKey,
  type HistoryEvent,
  lookupKeys,
  type MessageHistory,
  messageIdKey,
} from '../../core/ports/message-history.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE history_events (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     queue_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     event TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE INDEX history_events_queue ON history_events (queue_id, at);
   CREATE INDEX history_events_expiry ON history_events (expires_at);
   CREATE TABLE history_keys (
     key TEXT NOT NULL,
     queue_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (key, queue_id)
   ) WITHOUT ROWID;
   CREATE INDEX history_keys_recent ON history_keys (key, at);
   CREATE INDEX history_keys_expiry ON history_keys (expires_at);`,
];

const PRUNE_EVERY_MS = 10 * 60 * 1000;

export class SqliteMessageHistory implements MessageHistory {
  private readonly clock: Clock;
  private readonly stmt;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: { readonly retentionMs: number; readonly clock?: Clock },
  ) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'history', MIGRATIONS);
    this.stmt = {
      event: db.prepare<[string, number, string, number]>(
        'INSERT INTO history_events (queue_id, at, event, expires_at) VALUES (?, ?, ?, ?)',
      ),
      key: db.prepare<[string, string, number, number]>(
        `INSERT INTO history_keys (key, queue_id, at, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(key, queue_id) DO UPDATE SET at = max(at, excluded.at), expires_at = excluded.expires_at`,
      ),
      story: db
        .prepare<[string, number], string>(
          'SELECT event FROM history_events WHERE queue_id = ? AND expires_at >= ? ORDER BY at, seq',
        )
        .pluck(),
      lookup: db
        .prepare<[string, number, number], string>(
          'SELECT queue_id FROM history_keys WHERE key = ? AND expires_at >= ? ORDER BY at DESC, queue_id DESC LIMIT ?',
        )
        .pluck(),
      pruneEvents: db.prepare<[number]>('DELETE FROM history_events WHERE expires_at < ?'),
      pruneKeys: db.prepare<[number]>('DELETE FROM history_keys WHERE expires_at < ?'),
    };
  }

  async append(events: readonly HistoryEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.clock.now();
    writeTx(this.db, () => {
      for (const e of events) {
        const expires = e.at + this.opts.retentionMs;
        this.stmt.event.run(e.queueId, e.at, JSON.stringify(e), expires);
        const keys = lookupKeys(e);
        if (keys.messageId) this.stmt.key.run(`mid:${keys.messageId}`, e.queueId, e.at, expires);
        for (const a of keys.addresses) this.stmt.key.run(`addr:${a}`, e.queueId, e.at, expires);
      }
    });
    if (now - this.lastPrune >= PRUNE_EVERY_MS) this.prune(now);
  }

  /** Delete what is past its retention; returns how many events went. */
  prune(now: number = this.clock.now()): number {
    this.lastPrune = now;
    return writeTx(this.db, () => {
      this.stmt.pruneKeys.run(now);
      return this.stmt.pruneEvents.run(now).changes;
    });
  }

  async story(queueId: string): Promise<HistoryEvent[]> {
    return this.stmt.story.all(queueId, this.clock.now()).map((s) => JSON.parse(s) as HistoryEvent);
  }

  async queueIdsByMessageId(messageId: string, limit: number): Promise<string[]> {
    return this.stmt.lookup.all(`mid:${messageIdKey(messageId)}`, this.clock.now(), limit);
  }

  async queueIdsByAddress(address: string, limit: number): Promise<string[]> {
    return this.stmt.lookup.all(`addr:${addressKey(address)}`, this.clock.now(), limit);
  }
}
