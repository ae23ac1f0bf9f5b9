/**
 * Opens the embedded storage of one machine: WAL databases <dataDir>/queue.db, directory.db
 * (directory, rule sets, auto-reply memory, leases, counters, client sessions, backend registry, queue holds,
 * queue-processing settings and frontend heartbeats), mailbox.db (mailbox index) and history.db
 * (message history), admin.db (administrators, their sessions and API tokens, the audit trail), plus body
 * files under <dataDir>/messages and <dataDir>/mailboxes; message bodies up to 64 KiB are kept in
 * queue.db instead (inline-bodies.ts). Any number of processes may open the
 * same data dir at once.
 * Failure: if any part fails to open, what was opened is closed again and the error is thrown.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_HISTORY_DAYS } from '../../core/config/defaults.ts';
import type { BackendRegistry } from '../../core/ports/backend-registry.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { DirSyncer } from './durable-file.ts';
import { FileMessageStore } from './file-message-store.ts';
import { InlineBodies } from './inline-bodies.ts';
import { FileMailboxStore } from './mailbox-store.ts';
import { type Db, openDatabase } from './sqlite.ts';
import { SqliteAccountLeases } from './sqlite-account-leases.ts';
import { SqliteAdminStore } from './sqlite-admin-store.ts';
import { SqliteAutoReplyMemory } from './sqlite-auto-reply-memory.ts';
import { SqliteBackendRegistry } from './sqlite-backend-registry.ts';
import { SqliteClientSessions } from './sqlite-client-sessions.ts';
import { SqliteClusterControl } from './sqlite-cluster-control.ts';
import { SqliteCounters } from './sqlite-counters.ts';
import { SqliteDirectory } from './sqlite-directory.ts';
import { SqliteMailQueue } from './sqlite-mail-queue.ts';
import { SqliteMessageHistory } from './sqlite-message-history.ts';
import { SqliteQueueHolds } from './sqlite-queue-holds.ts';
import { SqliteRuleStore } from './sqlite-rule-store.ts';
import { SqliteSuppressions } from './sqlite-suppressions.ts';

export interface EmbeddedStorageOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Receives without an ack before a job goes dead (SQS maxReceiveCount). Default DEFAULT_MAX_RECEIVE_COUNT. */
  readonly maxReceiveCount?: number;
  /** Cap on queued (non-dead) jobs; 0 or absent = unlimited. */
  readonly maxQueued?: number;
  /** Days message history is kept (default DEFAULT_HISTORY_DAYS). */
  readonly historyDays?: number;
  /** Bodies up to this size are stored in queue.db, group-committed (default 64 KiB; 0 = files only). */
  readonly inlineBodyMaxBytes?: number;
}

/** Bodies up to this size go into queue.db rather than files (see inline-bodies.ts). */
export const DEFAULT_INLINE_BODY_MAX_BYTES = 64 * 1024;

export interface EmbeddedStorage extends Storage {
  readonly queue: SqliteMailQueue;
  readonly messages: FileMessageStore;
  /** Not (yet) in the Storage port; the backend processes heartbeat into it. */
  readonly backends: BackendRegistry;
  readonly history: SqliteMessageHistory;
  readonly dataDir: string;
}

/**
 * Separate WAL databases, not one: the frontends write the queue, the backends write the mailbox
 * index, leases/counters/directory are shared, and both roles append message history. SQLite has one writer per database, so a
 * single file made frontends and backends wait on each other's commits (measured under
 * `npm run bench`); separate files commit and fsync independently.
 */
export const DB_FILES = {
  queue: 'queue.db',
  directory: 'directory.db',
  mailbox: 'mailbox.db',
  // Written by frontends and backends alike, so in neither role's file.
  history: 'history.db',
  // Written by the frontends on every session (connect, MAIL, RCPT, AUTH): kept out of
  // directory.db, whose writers include the backends' lease heartbeats, so a stalled backend
  // holding that file's write lock can never hold up SMTP intake.
  sessions: 'sessions.db',
  counters: 'counters.db',
  // Written only by the admin API and the CLI (administrators, sessions, tokens, audit trail).
  admin: 'admin.db',
} as const;

export async function openEmbeddedStorage(opts: EmbeddedStorageOptions): Promise<EmbeddedStorage> {
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true });
  const opened: Db[] = [];
  const open = (file: string): Db => {
    const db = openDatabase(join(opts.dataDir, file));
    opened.push(db);
    return db;
  };
  try {
    const queueDb = open(DB_FILES.queue);
    const directoryDb = open(DB_FILES.directory);
    const mailboxDb = open(DB_FILES.mailbox);
    const historyDb = open(DB_FILES.history);
    const sessionsDb = open(DB_FILES.sessions);
    const countersDb = open(DB_FILES.counters);
    const adminDb = open(DB_FILES.admin);
    // History is best-effort: a power cut may lose its last commits, not mail. Open SMTP
    // sessions per address and rate counters are short-lived tallies (a power cut ends every
    // session anyway): no fsync per SMTP connection or command for them either.
    for (const db of [historyDb, sessionsDb, countersDb]) db.pragma('synchronous = NORMAL');
    // One batcher per process: message and mailbox writes into one directory share fsyncs.
    const dirSyncer = new DirSyncer();
    const queueOpts: { clock: Clock; maxReceiveCount?: number; maxQueued?: number } = { clock };
    if (opts.maxReceiveCount !== undefined) queueOpts.maxReceiveCount = opts.maxReceiveCount;
    if (opts.maxQueued !== undefined) queueOpts.maxQueued = opts.maxQueued;
    const queue = new SqliteMailQueue(queueDb, queueOpts);
    const directory = new SqliteDirectory(directoryDb);
    const leases = new SqliteAccountLeases(directoryDb, { clock });
    const counters = new SqliteCounters(countersDb, { clock });
    const clientSessions = new SqliteClientSessions(sessionsDb, { clock });
    const backends = new SqliteBackendRegistry(directoryDb, { clock });
    const control = new SqliteClusterControl(directoryDb, { clock });
    const rules = new SqliteRuleStore(directoryDb, { clock });
    const autoReplies = new SqliteAutoReplyMemory(directoryDb, { clock });
    const holds = new SqliteQueueHolds(directoryDb);
    const suppressions = new SqliteSuppressions(directoryDb);
    const admin = new SqliteAdminStore(adminDb);
    const history = new SqliteMessageHistory(historyDb, {
      clock,
      retentionMs: (opts.historyDays ?? DEFAULT_HISTORY_DAYS) * 86_400_000,
    });
    const inlineMax = opts.inlineBodyMaxBytes ?? DEFAULT_INLINE_BODY_MAX_BYTES;
    // Inline bodies share the queue's group commit: a message's body and job, and those of the
    // messages arriving meanwhile, are made durable by one WAL fsync.
    const inline = inlineMax > 0 ? new InlineBodies(queueDb, queue.committer, inlineMax) : undefined;
    const messages = await FileMessageStore.open(opts.dataDir, { dirSyncer, ...(inline ? { inline } : {}) });
    const mailboxes = await FileMailboxStore.open(mailboxDb, opts.dataDir, { clock, dirSyncer });
    let closing: Promise<void> | undefined;
    return {
      dataDir: opts.dataDir,
      queue,
      messages,
      directory,
      leases,
      counters,
      clientSessions,
      mailboxes,
      backends,
      control,
      rules,
      autoReplies,
      holds,
      suppressions,
      history,
      admin,
      close(): Promise<void> {
        closing ??= (async () => {
          queue.close();
          // Pending group commits wait on a WAL fsync: let them finish before the database closes.
          await queue.committer.drain();
          await mailboxes.drain();
          for (const db of opened) db.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const db of opened) db.close();
    throw err;
  }
}
