/**
 * Opens the embedded storage of one machine: <dataDir>/strato.db (queue, directory, leases,
 * counters, mailbox index share one WAL database) plus body files under <dataDir>/messages and
 * <dataDir>/mailboxes. Any number of processes may open the same data dir at once.
 * Failure: if any part fails to open, what was opened is closed again and the error is thrown.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendRegistry } from '../../core/ports/backend-registry.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { DirSyncer } from './durable-file.ts';
import { FileMessageStore } from './file-message-store.ts';
import { FileMailboxStore } from './mailbox-store.ts';
import { type Db, openDatabase } from './sqlite.ts';
import { SqliteAccountLeases } from './sqlite-account-leases.ts';
import { SqliteBackendRegistry } from './sqlite-backend-registry.ts';
import { SqliteCounters } from './sqlite-counters.ts';
import { SqliteDirectory } from './sqlite-directory.ts';
import { SqliteMailQueue } from './sqlite-mail-queue.ts';

export interface EmbeddedStorageOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Receives without an ack before a job goes dead (SQS maxReceiveCount). Default 20. */
  readonly maxReceiveCount?: number;
  /** Cap on queued (non-dead) jobs; 0 or absent = unlimited. */
  readonly maxQueued?: number;
}

export interface EmbeddedStorage extends Storage {
  readonly queue: SqliteMailQueue;
  readonly messages: FileMessageStore;
  /** Not (yet) in the Storage port; the backend processes heartbeat into it. */
  readonly backends: BackendRegistry;
  readonly dataDir: string;
}

export const DB_FILE = 'strato.db';

export async function openEmbeddedStorage(opts: EmbeddedStorageOptions): Promise<EmbeddedStorage> {
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true });
  const db: Db = openDatabase(join(opts.dataDir, DB_FILE));
  try {
    // One batcher per process: message and mailbox writes into one directory share fsyncs.
    const dirSyncer = new DirSyncer();
    const queueOpts: { clock: Clock; maxReceiveCount?: number; maxQueued?: number } = { clock };
    if (opts.maxReceiveCount !== undefined) queueOpts.maxReceiveCount = opts.maxReceiveCount;
    if (opts.maxQueued !== undefined) queueOpts.maxQueued = opts.maxQueued;
    const queue = new SqliteMailQueue(db, queueOpts);
    const directory = new SqliteDirectory(db);
    const leases = new SqliteAccountLeases(db, { clock });
    const counters = new SqliteCounters(db, { clock });
    const backends = new SqliteBackendRegistry(db, { clock });
    const messages = await FileMessageStore.open(opts.dataDir, { dirSyncer });
    const mailboxes = await FileMailboxStore.open(db, opts.dataDir, { clock, dirSyncer });
    let closing: Promise<void> | undefined;
    return {
      dataDir: opts.dataDir,
      queue,
      messages,
      directory,
      leases,
      counters,
      mailboxes,
      backends,
      close(): Promise<void> {
        closing ??= (async () => {
          queue.close();
          db.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
