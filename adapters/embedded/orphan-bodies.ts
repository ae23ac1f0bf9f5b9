/**
 * The embedded spool's orphan sweep. A body can outlive every job that refers to it: its delete
 * failed after the job was done, a processor that lost its lease kept it (another might still
 * need it), or a process died between storing a body and enqueueing its job. On AWS the spool
 * bucket's lifecycle rule expires such bodies; here `sweepOrphanBodies` deletes the bodies older
 * than `minAgeMs` that no job in the queue refers to, in any state (dead jobs keep theirs, so an
 * operator can still retry them). Bodies are listed before the queue is read, so a job enqueued
 * during the sweep is always seen. Failure: a file that vanishes meanwhile is skipped; a
 * storage error rejects and leaves the rest for the next sweep.
 */
import type { FileMessageStore } from './file-message-store.ts';
import type { SqliteMailQueue } from './sqlite-mail-queue.ts';

/** Old enough that no intake or rule step can still be between storing a body and its enqueue. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export interface OrphanSweepResult {
  /** Bodies old enough to be candidates. */
  readonly candidates: number;
  readonly deleted: number;
}

export async function sweepOrphanBodies(
  storage: { readonly messages: FileMessageStore; readonly queue: SqliteMailQueue },
  opts: { readonly now: number; readonly minAgeMs?: number },
): Promise<OrphanSweepResult> {
  const old: string[] = [];
  for await (const key of storage.messages.keysOlderThan(opts.now - (opts.minAgeMs ?? ORPHAN_MIN_AGE_MS))) {
    old.push(key);
  }
  const referenced = storage.queue.bodyKeys();
  let deleted = 0;
  for (const key of old) {
    if (referenced.has(key)) continue;
    await storage.messages.delete(key);
    deleted++;
  }
  return { candidates: old.length, deleted };
}
