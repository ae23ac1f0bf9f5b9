/**
 * Processes one leased queue job: routes its pending recipients (local → delivery channel to
 * the owning backend, external → relay), records each outcome in the job, sends the DSNs it
 * owes, then acks the job (all recipients done) or re-schedules it with backoff. Storage faults
 * propagate: the job then simply becomes visible again after its lease and is retried.
 */

import type { RecipientOutcome } from '../mail/outcome.ts';
import { formatReply, ownerFromReply, replies } from '../mail/smtp-replies.ts';
import type { AccountLeases } from '../ports/account-leases.ts';
import type { BackendRegistry } from '../ports/backend-registry.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeliveryChannel } from '../ports/delivery-channel.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import {
  type JobRecipient,
  type LeasedJob,
  MAX_DELAY_SECONDS,
  type MailQueue,
  type QueueJob,
} from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { OutboundRelay } from '../ports/outbound-relay.ts';
import { applyAccountStateRetry } from './account-state-retry.ts';
import { isExpired, isWarningDue, nextAttemptAt, type RetrySchedule } from './retry-schedule.ts';
import { routeRecipients } from './route-recipients.ts';
import { type DsnKind, sendDsn } from './send-dsn.ts';

export interface ProcessorDeps {
  readonly queue: MailQueue;
  readonly messages: MessageStore;
  readonly directory: DirectoryReader;
  readonly leases: AccountLeases;
  readonly registry: BackendRegistry;
  readonly channel: DeliveryChannel;
  readonly relay: OutboundRelay;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly schedule: RetrySchedule;
  readonly hostname: string;
  readonly backendMode: 'dynamic' | 'static';
}

export type JobResult = 'done' | 'rescheduled' | 'deferred';

/** Deliver the pending recipients once; outcomes keyed by recipient address. */
async function attempt(
  deps: ProcessorDeps,
  job: QueueJob,
  pending: string[],
): Promise<Map<string, RecipientOutcome>> {
  const now = deps.clock.now();
  const plan = await routeRecipients(
    { directory: deps.directory, leases: deps.leases, registry: deps.registry, mode: deps.backendMode, now },
    pending,
  );
  const outcomes = new Map(plan.decided);
  const openBody = () => deps.messages.open(job.body);
  const base = {
    deliveryId: job.id,
    mailFrom: job.envelope.mailFrom,
    source: job.source,
    body: job.body,
    openBody,
  };
  const local = [...plan.local.values()].map(async ({ backend, recipients }) => {
    const result = await deps.channel.deliver(backend, { ...base, recipients });
    // A backend that finds the account open elsewhere names the owner: go there directly, once.
    const redirects = new Map<string, string[]>();
    for (const [rcpt, outcome] of result) {
      outcomes.set(rcpt, outcome);
      const owner = outcome.kind === 'temporary' ? ownerFromReply(outcome.reply) : undefined;
      if (owner && owner !== backend.id && plan.live.some((b) => b.id === owner)) {
        redirects.set(owner, [...(redirects.get(owner) ?? []), rcpt]);
      }
    }
    for (const [owner, rcpts] of redirects) {
      const target = plan.live.find((b) => b.id === owner)!;
      for (const [rcpt, outcome] of await deps.channel.deliver(target, { ...base, recipients: rcpts })) {
        outcomes.set(rcpt, outcome);
      }
    }
  });
  const external = plan.external.length
    ? deps.relay
        .send({
          jobId: job.id,
          mailFrom: job.envelope.mailFrom,
          recipients: plan.external,
          openBody,
          ...(job.envelope.envid ? { envid: job.envelope.envid } : {}),
          ...(job.envelope.ret ? { ret: job.envelope.ret } : {}),
        })
        .then((result) => {
          for (const [rcpt, o] of result) outcomes.set(rcpt, o);
        })
    : Promise.resolve();
  await Promise.all([...local, external]);
  return outcomes;
}

const wants = (r: JobRecipient, what: 'SUCCESS' | 'FAILURE' | 'DELAY') =>
  r.notify ? r.notify.includes(what) : what !== 'SUCCESS';

export interface ProcessOptions {
  /**
   * False once this processor can no longer be sure it holds the job's lease (an extend failed,
   * or the lease ran out). The body is then kept: another processor may hold the job now and
   * still need it. (A kept body of a finished job is an orphan: on AWS the spool bucket's
   * lifecycle rule expires it; the embedded store has no orphan sweep yet.)
   */
  readonly leaseHeld?: () => boolean;
}

export async function processJob(
  deps: ProcessorDeps,
  leased: LeasedJob,
  opts: ProcessOptions = {},
): Promise<JobResult> {
  const job: QueueJob = structuredClone(leased.job);
  const now = deps.clock.now();
  const log = deps.logger.child({ jobId: job.id });

  // A wait longer than the queue's per-hop delay limit is chained hop by hop.
  if (job.notBefore !== undefined && job.notBefore > now + 1000) {
    const delay = Math.min(MAX_DELAY_SECONDS, Math.ceil((job.notBefore - now) / 1000));
    await deps.queue.reschedule(leased.receipt, job, delay);
    return 'deferred';
  }

  const pending = job.envelope.recipients.filter((r) => r.state === 'pending');
  const outcomes = pending.length
    ? await attempt(
        deps,
        job,
        pending.map((r) => r.address),
      )
    : new Map();
  // DisabledRetry / FullRetry: bounce after Y, else retry after X (account-state-retry.ts).
  const stateRetry = await applyAccountStateRetry(deps.directory, job, outcomes, now);
  job.attempts += 1;
  const newly = { failed: [] as JobRecipient[], delivered: [] as JobRecipient[] };
  for (const r of pending) {
    const outcome = outcomes.get(r.address) ?? { kind: 'temporary', reply: replies.localError() };
    r.attempts += 1;
    r.updatedAt = now;
    if (outcome.reply) r.lastReply = outcome.reply;
    if (outcome.kind === 'delivered') {
      r.state = 'delivered';
      newly.delivered.push(r);
    } else if (outcome.kind === 'permanent') {
      r.state = 'failed';
      newly.failed.push(r);
    }
    log.info({
      event:
        outcome.kind === 'delivered'
          ? 'queue.delivered'
          : outcome.kind === 'permanent'
            ? 'queue.failed'
            : 'queue.deferred',
      rcpt: r.address,
      ...(outcome.reply ? { reply: formatReply(outcome.reply) } : {}),
    });
  }

  const still = job.envelope.recipients.filter((r) => r.state === 'pending');
  if (still.length && isExpired(deps.schedule, job.createdAt, now)) {
    for (const r of still) {
      r.state = 'failed';
      r.lastReply = replies.expired(r.lastReply ? formatReply(r.lastReply) : 'none');
      newly.failed.push(r);
    }
    log.warn({ event: 'queue.expired', recipients: still.length });
  }

  const dsns: [DsnKind, JobRecipient[]][] = [
    ['failed', newly.failed.filter((r) => wants(r, 'FAILURE'))],
    ['delivered', newly.delivered.filter((r) => wants(r, 'SUCCESS'))],
  ];
  const remaining = job.envelope.recipients.filter((r) => r.state === 'pending');
  if (remaining.length && isWarningDue(deps.schedule, job.createdAt, job.warnedAt, now)) {
    dsns.push(['delayed', remaining.filter((r) => wants(r, 'DELAY'))]);
    job.warnedAt = now;
  }
  // DSNs are enqueued before the job is acked or re-scheduled: a crash in between repeats the
  // attempt, and the DSN's id is derived from the job, so the repeat does not send it twice.
  for (const [kind, recipients] of dsns) {
    if (recipients.length) {
      const willRetryUntil = job.createdAt + deps.schedule.lifetimeSeconds * 1000;
      await sendDsn(deps, job, kind, recipients, kind === 'delayed' ? { willRetryUntil } : {});
    }
  }

  if (remaining.length === 0) {
    await deps.queue.ack(leased.receipt);
    if (opts.leaseHeld?.() === false) {
      // An ack with a stale receipt may not remove the job; deleting the body would make the
      // processor that holds it now fail it for a missing body (a false bounce).
      log.warn({ event: 'queue.body_kept_lease_lost' });
    } else {
      await deps.messages
        .delete(job.body)
        .catch((err) => log.warn({ event: 'queue.body_delete_failed', err: String(err) }));
    }
    log.info({ event: 'queue.done', attempts: job.attempts });
    return 'done';
  }
  const scheduled = nextAttemptAt(deps.schedule, job.attempts, job.createdAt, now);
  const next =
    stateRetry.nextAt === undefined
      ? scheduled
      : stateRetry.coversAll
        ? stateRetry.nextAt
        : Math.min(scheduled, stateRetry.nextAt);
  job.notBefore = next;
  await deps.queue.reschedule(
    leased.receipt,
    job,
    Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((next - now) / 1000))),
  );
  log.info({ event: 'queue.rescheduled', pending: remaining.length, nextAttemptAt: next });
  return 'rescheduled';
}
