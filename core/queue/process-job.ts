/**
 * Processes one leased queue job, one step per function, in this order: park a job an operator's
 * hold covers (hold-check.ts: no attempt, no attempt counted); defer a job whose time
 * has not come (deferIfNotYet); route its pending recipients and deliver once (attempt-delivery.ts:
 * local → delivery channel to the owning backend, external → relay), once more at once for an
 * account that is moving between backends (quick-retry.ts); apply DisabledRetry/FullRetry;
 * record each outcome in the job (recordOutcomes); fail what outlived the queue lifetime
 * (expireOverdue); send the DSNs it owes (owedDsns, sendDsns); then ack the job when every
 * recipient is settled (finish) or re-schedule it with backoff, or within seconds while an
 * account is moving (reschedule). Storage faults
 * propagate: the job then simply becomes visible again after its lease and is retried.
 */

import { DEFAULT_QUICK_RETRY } from '../config/defaults.ts';
import type { RecipientOutcome } from '../mail/outcome.ts';
import { formatReply, replies } from '../mail/smtp-replies.ts';
import type { Logger } from '../ports/logger.ts';
import {
  type JobRecipient,
  type LeasedJob,
  MAX_DELAY_SECONDS,
  type MailQueue,
  type QueueJob,
  type QueueOperator,
} from '../ports/mail-queue.ts';
import type { HistoryRecorder } from '../util/history-recorder.ts';
import { metrics } from '../util/metrics.ts';
import { type AccountStateRetry, applyAccountStateRetry } from './account-state-retry.ts';
import { type AttemptDeps, attemptDelivery, type Outcomes } from './attempt-delivery.ts';
import { type HoldCheckDeps, parkIfHeld } from './hold-check.ts';
import { recordQueueAge } from './queue-metrics.ts';
import {
  backoffAttempts,
  type FreshRouting,
  type QuickRetrySettings,
  quickRetryAt,
  rerouteMoving,
} from './quick-retry.ts';
import { recordDeferred, recordDsn, recordFailed } from './record-history.ts';
import { isExpired, isWarningDue, nextAttemptAt, type RetrySchedule } from './retry-schedule.ts';
import { type DsnKind, sendDsn } from './send-dsn.ts';

/** What a delivery attempt needs, plus the queue, the retry schedule, logging and DSN naming. */
export interface ProcessorDeps extends AttemptDeps, HoldCheckDeps {
  /** The processor's port, plus `releaseNow` for the hold step (hold-check.ts). */
  readonly queue: MailQueue & Pick<QueueOperator, 'releaseNow'>;
  readonly logger: Logger;
  readonly schedule: RetrySchedule;
  readonly hostname: string;
  /** Quick retry of a moving account (default DEFAULT_QUICK_RETRY). */
  readonly quickRetry?: QuickRetrySettings;
  /** Uncached routing reads for re-routing a moving account at once (default: the usual ones). */
  readonly freshRouting?: FreshRouting;
  /** Message history (best-effort); without it nothing is recorded. */
  readonly history?: HistoryRecorder;
}

export type JobResult = 'done' | 'rescheduled' | 'deferred' | 'held';

const wants = (r: JobRecipient, what: 'SUCCESS' | 'FAILURE' | 'DELAY') =>
  r.notify ? r.notify.includes(what) : what !== 'SUCCESS';

const stillPending = (job: QueueJob) => job.envelope.recipients.filter((r) => r.state === 'pending');

/** Recipients this attempt settled: the DSNs owed are about them. */
interface Settled {
  readonly failed: JobRecipient[];
  readonly delivered: JobRecipient[];
  /** Delivered to a next hop that did not take the DSN request on (a `relayed` DSN, RFC 3461). */
  readonly relayed: JobRecipient[];
}

export interface ProcessOptions {
  /**
   * False once this processor can no longer be sure it holds the job's lease (an extend failed,
   * or the lease ran out). The body is then kept: another processor may hold the job now and
   * still need it. (A kept body of a finished job is an orphan: on AWS the spool bucket's
   * lifecycle rule expires it; in embedded mode the local cluster sweeps it after an hour.)
   */
  readonly leaseHeld?: () => boolean;
}

/** A wait longer than the queue's per-hop delay limit is chained hop by hop. */
async function deferIfNotYet(deps: ProcessorDeps, leased: LeasedJob, job: QueueJob, now: number) {
  if (job.notBefore === undefined || job.notBefore <= now + 1000) return false;
  const delay = Math.min(MAX_DELAY_SECONDS, Math.ceil((job.notBefore - now) / 1000));
  await deps.queue.reschedule(leased.receipt, job, delay);
  return true;
}

function outcomeEvent(outcome: RecipientOutcome): string {
  if (outcome.kind === 'delivered') return 'queue.delivered';
  return outcome.kind === 'permanent' ? 'queue.failed' : 'queue.deferred';
}

/** Write each attempted recipient's outcome into the job (no answer counts as a local error). */
function recordOutcomes(
  job: QueueJob,
  attempted: readonly JobRecipient[],
  outcomes: Outcomes,
  now: number,
  log: Logger,
): Settled {
  job.attempts += 1;
  const settled: Settled = { failed: [], delivered: [], relayed: [] };
  for (const r of attempted) {
    const outcome = outcomes.get(r.address) ?? { kind: 'temporary', reply: replies.localError() };
    r.attempts += 1;
    r.updatedAt = now;
    if (outcome.reply) {
      r.lastReply = outcome.reply;
      if (outcome.remoteMta) r.remoteMta = outcome.remoteMta;
      else delete r.remoteMta;
    }
    if (outcome.kind === 'delivered') {
      r.state = 'delivered';
      // A next hop that took the DSN request on reports success itself (RFC 3461 §5.2.2).
      if (outcome.relayed) settled.relayed.push(r);
      else if (!outcome.dsnPassedOn) settled.delivered.push(r);
    } else if (outcome.kind === 'permanent') {
      r.state = 'failed';
      settled.failed.push(r);
    }
    const reply = outcome.reply ? { reply: formatReply(outcome.reply) } : {};
    log.info({ event: outcomeEvent(outcome), rcpt: r.address, ...reply });
  }
  return settled;
}

/** Past the queue lifetime, every recipient still pending fails with its last reply. */
function expireOverdue(schedule: RetrySchedule, job: QueueJob, now: number, settled: Settled, log: Logger) {
  const still = stillPending(job);
  if (still.length === 0 || !isExpired(schedule, job.createdAt, now)) return;
  for (const r of still) {
    r.state = 'failed';
    r.lastReply = replies.expired(r.lastReply ? formatReply(r.lastReply) : 'none');
    settled.failed.push(r);
  }
  log.warn({ event: 'queue.expired', recipients: still.length });
}

/** The DSNs this attempt owes (per NOTIFY); a due delay warning marks the job warned. */
function owedDsns(schedule: RetrySchedule, job: QueueJob, settled: Settled, now: number) {
  const dsns: [DsnKind, JobRecipient[]][] = [
    ['failed', settled.failed.filter((r) => wants(r, 'FAILURE'))],
    ['delivered', settled.delivered.filter((r) => wants(r, 'SUCCESS'))],
    ['relayed', settled.relayed.filter((r) => wants(r, 'SUCCESS'))],
  ];
  const remaining = stillPending(job);
  if (remaining.length && isWarningDue(schedule, job.createdAt, job.warnedAt, now)) {
    dsns.push(['delayed', remaining.filter((r) => wants(r, 'DELAY'))]);
    job.warnedAt = now;
  }
  return dsns.filter(([, recipients]) => recipients.length > 0);
}

async function sendDsns(deps: ProcessorDeps, job: QueueJob, dsns: [DsnKind, JobRecipient[]][]) {
  const willRetryUntil = job.createdAt + deps.schedule.lifetimeSeconds * 1000;
  for (const [kind, recipients] of dsns) {
    const id = await sendDsn(deps, job, kind, recipients, kind === 'delayed' ? { willRetryUntil } : {});
    if (id) recordDsn(deps.history, job, kind, id, recipients);
    if (id) metrics.count('DsnSent', { Kind: kind });
  }
}

/**
 * Every recipient settled: ack, then delete the body unless the lease may have moved on or the
 * store expires bodies itself (on AWS the spool's lifecycle rule does, for one request less).
 */
async function finish(
  deps: ProcessorDeps,
  leased: LeasedJob,
  job: QueueJob,
  opts: ProcessOptions,
  log: Logger,
) {
  await deps.queue.ack(leased.receipt);
  if (opts.leaseHeld?.() === false) {
    // An ack with a stale receipt may not remove the job; deleting the body would make the
    // processor that holds it now fail it for a missing body (a false bounce).
    log.warn({ event: 'queue.body_kept_lease_lost' });
  } else if (!deps.messages.expiresBodies) {
    await deps.messages
      .delete(job.body)
      .catch((err) => log.warn({ event: 'queue.body_delete_failed', err: String(err) }));
  }
  deps.history?.record(job.id, { kind: 'done', attempts: job.attempts });
  log.info({ event: 'queue.done', attempts: job.attempts });
}

/**
 * Next attempt by the backoff schedule, or by DisabledRetry/FullRetry when they govern, or
 * within seconds when an account is moving (quick-retry.ts).
 */
async function reschedule(
  deps: ProcessorDeps,
  leased: LeasedJob,
  job: QueueJob,
  stateRetry: AccountStateRetry,
  moving: ReadonlySet<string>,
  now: number,
  log: Logger,
) {
  const scheduled = nextAttemptAt(deps.schedule, backoffAttempts(job), job.createdAt, now);
  const byState =
    stateRetry.nextAt === undefined
      ? scheduled
      : stateRetry.coversAll
        ? stateRetry.nextAt
        : Math.min(scheduled, stateRetry.nextAt);
  const stillMoving = stillPending(job).some((r) => moving.has(r.address));
  const quick = quickRetryAt(deps.quickRetry ?? DEFAULT_QUICK_RETRY, job, stillMoving, now);
  const next = quick === undefined ? byState : Math.min(byState, quick);
  job.notBefore = next;
  const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((next - now) / 1000)));
  await deps.queue.reschedule(leased.receipt, job, delay);
  recordDeferred(deps.history, job, now, next);
  metrics.count('QueueDeferred');
  log.info({
    event: 'queue.rescheduled',
    pending: stillPending(job).length,
    nextAttemptAt: next,
    ...(quick !== undefined ? { quickRetry: job.quickRetries } : {}),
  });
}

export async function processJob(
  deps: ProcessorDeps,
  leased: LeasedJob,
  opts: ProcessOptions = {},
): Promise<JobResult> {
  const job: QueueJob = structuredClone(leased.job);
  const now = deps.clock.now();
  const log = deps.logger.child({ queueId: job.id });
  if (await parkIfHeld(deps, leased, job, log)) return 'held';
  if (await deferIfNotYet(deps, leased, job, now)) return 'deferred';

  const pending = stillPending(job);
  recordQueueAge(job, now);
  const outcomes = await attemptDelivery(deps, job, pending);
  // An account moving between backends is routed again at once, with fresh reads.
  const moving = await rerouteMoving(deps, job, pending, outcomes, log);
  // DisabledRetry / FullRetry: bounce after Y, else retry after X (account-state-retry.ts).
  const stateRetry = await applyAccountStateRetry(deps.directory, job, outcomes, now);
  const settled = recordOutcomes(job, pending, outcomes, now, log);
  expireOverdue(deps.schedule, job, now, settled, log);
  recordFailed(deps.history, job, settled);
  // DSNs are enqueued before the job is acked or re-scheduled: a crash in between repeats the
  // attempt, and the DSN's id is derived from the job, so the repeat does not send it twice.
  await sendDsns(deps, job, owedDsns(deps.schedule, job, settled, now));

  if (stillPending(job).length === 0) {
    await finish(deps, leased, job, opts, log);
    return 'done';
  }
  await reschedule(deps, leased, job, stateRetry, moving, now, log);
  return 'rescheduled';
}
