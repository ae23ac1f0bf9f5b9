/**
 * Operator actions on one waiting queue job (CLI `queue retry|bounce|delete`): retry it now (ready
 * at once, its notBefore dropped), bounce it (remove it, send one failed DSN for its pending
 * recipients, delete its body) or delete it silently. A job in flight is never touched: each action
 * answers `{ ok: false, reason: 'in-flight' | 'not-found' }` instead. Storage faults propagate; a
 * bounce whose DSN cannot be enqueued puts the job back before rethrowing, so nothing is lost.
 */
import type { Reply } from '../mail/outcome.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobRecipient, MailQueue, QueueEntry, QueueJob, QueueOperator } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import { sendDsn } from './send-dsn.ts';

/** Why an action did nothing: the job is gone (delivered, removed, never queued) or being delivered. */
export type Refusal = { readonly ok: false; readonly reason: 'not-found' | 'in-flight' };

export type RetryResult = { readonly ok: true; readonly before: QueueEntry } | Refusal;

export type BounceResult =
  | {
      readonly ok: true;
      readonly job: QueueJob;
      /** The DSN's queue id; undefined when no report was owed (see `noReport`). */
      readonly dsnId: string | undefined;
      /** Recipients named in the DSN (pending ones whose NOTIFY asks for FAILURE). */
      readonly reported: readonly string[];
      /** Pending recipients that failed without a report (NOTIFY, <> sender or a DSN job). */
      readonly unreported: readonly string[];
      readonly noReport?: 'null-sender' | 'dsn-job' | 'notify' | 'nothing-pending';
      /** Set when the job was removed but its body could not be deleted (left for cleanup). */
      readonly bodyError?: string;
    }
  | Refusal
  | { readonly ok: false; readonly reason: 'body-missing'; readonly job: QueueJob };

export type DeleteResult =
  | { readonly ok: true; readonly job: QueueJob; readonly bodyError?: string }
  | Refusal;

/** Attempts at "look, then act" when the job changes state between the two steps. */
const TRIES = 3;

/** Longest reason kept in the reply (an SMTP reply line is at most 512 octets). */
export const MAX_REASON_LENGTH = 200;

/**
 * The reply recorded for bounced recipients and quoted in the DSN. Control characters and
 * non-ASCII are replaced (the text goes into a Diagnostic-Code header field).
 */
export function adminBounceReply(reason?: string): Reply {
  const clean = (reason ?? '')
    .replace(/[^\x20-\x7e]/g, (c) => (/\s/.test(c) ? ' ' : '?'))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_REASON_LENGTH);
  // RFC 3463 X.7.1: delivery not authorized, message refused.
  return { code: 550, enhanced: '5.7.1', text: `rejected by the administrator${clean ? `: ${clean}` : ''}` };
}

const wantsFailureReport = (r: JobRecipient): boolean => (r.notify ? r.notify.includes('FAILURE') : true);

/** Refusal for a job that is not (or no longer) waiting; undefined when it waits. */
function refusal(entry: QueueEntry | undefined): Refusal | undefined {
  if (!entry) return { ok: false, reason: 'not-found' };
  if (entry.status === 'in-flight') return { ok: false, reason: 'in-flight' };
  return undefined;
}

/**
 * Look the job up and run `act` on it while it waits; `act` answering false means the job moved
 * meanwhile (leased, acked or re-scheduled), so look again.
 */
async function whileWaiting(
  queue: QueueOperator,
  id: string,
  act: (entry: QueueEntry) => Promise<boolean>,
): Promise<{ ok: true; entry: QueueEntry } | Refusal> {
  for (let i = 0; ; i++) {
    const entry = await queue.get(id);
    const refused = refusal(entry);
    if (refused) return refused;
    if (await act(entry!)) return { ok: true, entry: entry! };
    if (i + 1 >= TRIES) return refusal(await queue.get(id)) ?? { ok: false, reason: 'in-flight' };
  }
}

/** Make a waiting (delayed, ready or dead) job ready now, with its notBefore cleared. */
export async function retryNow(queue: QueueOperator, id: string): Promise<RetryResult> {
  const r = await whileWaiting(queue, id, () => queue.releaseNow(id, { clearNotBefore: true }));
  return r.ok ? { ok: true, before: r.entry } : r;
}

/** Remove a waiting job without any report and delete its body. */
export async function deleteJob(
  queue: QueueOperator,
  messages: MessageStore,
  id: string,
): Promise<DeleteResult> {
  const r = await whileWaiting(queue, id, () => queue.remove(id));
  if (!r.ok) return r;
  const bodyError = await deleteBody(messages, r.entry.job);
  return { ok: true, job: r.entry.job, ...(bodyError ? { bodyError } : {}) };
}

export interface BounceDeps {
  /** The operator's port, and enqueue for the DSN (and to put the job back if that fails). */
  readonly queue: QueueOperator & Pick<MailQueue, 'enqueue'>;
  readonly messages: MessageStore;
  readonly clock: Clock;
  /** Reporting MTA named in the DSN. */
  readonly hostname: string;
}

/**
 * Remove a waiting job, send one failed DSN (from <>) for its pending recipients that want one,
 * with the administrator's reason as the last reply, then delete the body. The job is removed
 * before the DSN is enqueued, so a job a processor took meanwhile is never reported as failed;
 * if the DSN cannot be enqueued the job is enqueued again and the error rethrown.
 * Refuses ('body-missing', nothing changed) when a DSN is owed but the body is gone.
 */
export async function bounceJob(deps: BounceDeps, id: string, reason?: string): Promise<BounceResult> {
  const removed = await removeForBounce(deps, id);
  if (!removed.ok) return removed;
  const original = removed.job;
  const job = failPending(original, adminBounceReply(reason), deps.clock.now());
  const plan = reportPlan(original);
  const failed = plan.reportedIndexes.map((i) => job.envelope.recipients[i]!);
  const dsnId = failed.length > 0 ? await reportOrPutBack(deps, id, original, job, failed) : undefined;
  const bodyError = await deleteBody(deps.messages, original);
  return {
    ok: true,
    job,
    dsnId,
    reported: plan.reported,
    unreported: plan.unreported,
    ...(plan.noReport ? { noReport: plan.noReport } : {}),
    ...(bodyError ? { bodyError } : {}),
  };
}

/**
 * Remove the waiting job for a bounce; when a DSN is owed but the body is gone, leave it queued
 * and answer 'body-missing' (the DSN could not quote it).
 */
async function removeForBounce(
  deps: BounceDeps,
  id: string,
): Promise<{ ok: true; job: QueueJob } | Exclude<BounceResult, { ok: true }>> {
  let missing: QueueJob | undefined;
  const r = await whileWaiting(deps.queue, id, async (entry) => {
    if (reportPlan(entry.job).reported.length > 0 && !(await deps.messages.exists(entry.job.body.key))) {
      missing = entry.job;
      return true;
    }
    return deps.queue.remove(id);
  });
  if (!r.ok) return r;
  if (missing) return { ok: false, reason: 'body-missing', job: missing };
  return { ok: true, job: r.entry.job };
}

/** A copy of the job with every pending recipient failed with `reply` at `now`. */
function failPending(original: QueueJob, reply: Reply, now: number): QueueJob {
  const job = structuredClone(original);
  for (const rcpt of job.envelope.recipients) {
    if (rcpt.state !== 'pending') continue;
    rcpt.state = 'failed';
    rcpt.lastReply = reply;
    rcpt.updatedAt = now;
  }
  return job;
}

/** Send the failed DSN; if it cannot be enqueued, put the original job back and rethrow. */
async function reportOrPutBack(
  deps: BounceDeps,
  id: string,
  original: QueueJob,
  job: QueueJob,
  failed: readonly JobRecipient[],
): Promise<string | undefined> {
  try {
    return await sendDsn(deps, job, 'failed', failed);
  } catch (err) {
    // Put the job back as it was, so the bounce can simply be repeated.
    await deps.queue.enqueue([original]).catch((again: unknown) => {
      throw new Error(
        `bounce of ${id} failed and the job could not be queued again (${String(again)}): ${String(err)}`,
        { cause: err },
      );
    });
    throw err;
  }
}

/** Which pending recipients a bounce reports, and why none are when none are. */
function reportPlan(job: QueueJob): {
  reported: string[];
  reportedIndexes: number[];
  unreported: string[];
  noReport?: 'null-sender' | 'dsn-job' | 'notify' | 'nothing-pending';
} {
  const pending = job.envelope.recipients.flatMap((r, i) => (r.state === 'pending' ? [{ r, i }] : []));
  const none = (noReport: 'null-sender' | 'dsn-job' | 'notify' | 'nothing-pending') => ({
    reported: [],
    reportedIndexes: [],
    unreported: pending.map((p) => p.r.address),
    noReport,
  });
  if (pending.length === 0) return none('nothing-pending');
  // sendDsn never reports to <> or about a DSN (no loops); say so rather than pretend.
  if (job.envelope.mailFrom === '') return none('null-sender');
  if (job.source === 'DSN') return none('dsn-job');
  const wanted = pending.filter((p) => wantsFailureReport(p.r));
  if (wanted.length === 0) return none('notify');
  return {
    reported: wanted.map((p) => p.r.address),
    reportedIndexes: wanted.map((p) => p.i),
    unreported: pending.filter((p) => !wantsFailureReport(p.r)).map((p) => p.r.address),
  };
}

/** Delete a removed job's body; a failure is returned as text (the job is gone either way). */
async function deleteBody(messages: MessageStore, job: QueueJob): Promise<string | undefined> {
  try {
    await messages.delete(job.body);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
