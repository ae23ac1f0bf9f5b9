/**
 * Pure rules over queue index items: the operator's view of an item (status, job, receive count)
 * and what to do with a received copy the index refused to lease — delete it (stale or
 * finished), put it back for a while (the same message is leased right now), or send the current
 * generation again first (its copy may never have been sent). No I/O, no failures.
 */
import { MAX_DELAY_SECONDS, type QueueEntry, type QueueJob } from '../../core/ports/mail-queue.ts';
import type { QueueIndexItem } from './queue-index-table.ts';

export type StaleCopyAction =
  | { readonly kind: 'delete' }
  | { readonly kind: 'defer'; readonly seconds: number }
  | { readonly kind: 'resend'; readonly job: QueueJob; readonly gen: number; readonly delay: number };

/** What operators see of an item; undefined for items they do not (dedupe, done, removed). */
export function toEntry(item: QueueIndexItem, now: number, maxReceiveCount: number): QueueEntry | undefined {
  if ((item.st !== 'queued' && item.st !== 'leased' && item.st !== 'held') || item.job === undefined)
    return undefined;
  const job = JSON.parse(item.job) as QueueJob;
  if (item.st === 'held') return { job, status: 'held', receiveCount: 0, visibleAt: item.vis };
  if (item.st === 'queued') {
    return { job, status: item.vis > now ? 'delayed' : 'ready', receiveCount: 0, visibleAt: item.vis };
  }
  // A lease that ran out after the last receive SQS allows: the next receive moves it to the DLQ.
  const status = item.vis > now ? 'in-flight' : item.rc >= maxReceiveCount ? 'dead' : 'ready';
  return { job, status, receiveCount: item.rc, visibleAt: item.vis };
}

/** Decide for a copy (generation `gen`, SQS MessageId `mid`) whose lease the index refused. */
export function staleCopyAction(
  item: QueueIndexItem,
  copy: { readonly gen: number; readonly mid: string },
  now: number,
): StaleCopyAction {
  // A held job has no copy in SQS: any copy met is one the park or hold made stale.
  if (item.st === 'done' || item.st === 'removed' || item.st === 'held') return { kind: 'delete' };
  if (item.gen > copy.gen) {
    // Normally the writer of the newer generation sent its copy and deleted this one. If this is
    // exactly the copy a reschedule replaced (pmid), or a release never confirmed its send, the
    // newer copy may be missing: send it (a duplicate is deleted at its receive).
    const unsure = item.pending === true || (item.pmid !== undefined && item.pmid === copy.mid);
    if (item.st === 'queued' && unsure && item.job !== undefined) {
      const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((item.vis - now) / 1000)));
      return { kind: 'resend', job: JSON.parse(item.job) as QueueJob, gen: item.gen, delay };
    }
    return { kind: 'delete' };
  }
  if (item.gen === copy.gen && item.st === 'leased' && item.vis > now && item.mid === copy.mid) {
    // SQS handed out the leased message once more: never delete the only copy of a live lease.
    return { kind: 'defer', seconds: Math.min(43_200, Math.ceil((item.vis - now) / 1000) + 1) };
  }
  // Another copy of the same generation holds the lease (a resend's duplicate): that one
  // stays in SQS until its holder finishes, so this one is redundant.
  return { kind: 'delete' };
}
