/**
 * One delivery attempt of a queue job's pending recipients (processJob's second step): route them
 * (route-recipients.ts), hand each backend its local recipients over the delivery channel and the
 * external ones to the outbound relay, in parallel. A backend that answers that the account is
 * open on another live backend names it: those recipients go there directly, once. Returns one
 * outcome per recipient that got an answer (keyed by address); the caller counts a missing one
 * as a local error. Routing, channel and relay faults propagate (the job is retried).
 */

import { dkimSignedOpener } from '../dkim/dkim-signing.ts';
import { accountFactOf, type RecipientOutcome } from '../mail/outcome.ts';
import type { AccountLeases } from '../ports/account-leases.ts';
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';
import type { Clock } from '../ports/clock.ts';
import type { DeliveryChannel } from '../ports/delivery-channel.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRecipient, QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { OutboundRelay, RecipientDsn } from '../ports/outbound-relay.ts';
import type { HistoryRecorder } from '../util/history-recorder.ts';
import { countLocal, countRelay } from './queue-metrics.ts';
import { recordRelayed } from './record-history.ts';
import { routeRecipients } from './route-recipients.ts';

export interface AttemptDeps {
  readonly messages: MessageStore;
  readonly directory: DirectoryReader;
  readonly leases: AccountLeases;
  readonly registry: BackendRegistry;
  readonly channel: DeliveryChannel;
  readonly relay: OutboundRelay;
  readonly clock: Clock;
  readonly backendMode: 'dynamic' | 'static';
  /** Message history (best-effort): relayed recipients are recorded here. */
  readonly history?: HistoryRecorder;
  /** For DKIM signing's warnings (dkim/dkim-signing.ts). */
  readonly logger?: Logger;
}

export type Outcomes = Map<string, RecipientOutcome>;

/** What every delivery of this job to a backend carries. */
function deliveryOf(deps: AttemptDeps, job: QueueJob) {
  return {
    deliveryId: job.id,
    mailFrom: job.envelope.mailFrom,
    source: job.source,
    body: job.body,
    openBody: () => deps.messages.open(job.body),
  };
}

/** A backend that finds the account open elsewhere names the owner: recipients by live owner id. */
function ownerRedirects(
  result: ReadonlyMap<string, RecipientOutcome>,
  backend: BackendInfo,
  live: readonly BackendInfo[],
): Map<string, string[]> {
  const redirects = new Map<string, string[]>();
  for (const [rcpt, outcome] of result) {
    const fact = accountFactOf(outcome);
    const owner = fact?.state === 'open-elsewhere' ? fact.owner : undefined;
    if (owner && owner !== backend.id && live.some((b) => b.id === owner)) {
      redirects.set(owner, [...(redirects.get(owner) ?? []), rcpt]);
    }
  }
  return redirects;
}

/** Deliver one backend's recipients; those it says are open on another live backend go there, once. */
async function deliverLocal(
  deps: AttemptDeps,
  job: QueueJob,
  group: { readonly backend: BackendInfo; readonly recipients: readonly string[] },
  live: readonly BackendInfo[],
): Promise<Outcomes> {
  const delivery = deliveryOf(deps, job);
  const outcomes: Outcomes = new Map(
    await deps.channel.deliver(group.backend, { ...delivery, recipients: group.recipients }),
  );
  for (const [owner, rcpts] of ownerRedirects(outcomes, group.backend, live)) {
    const target = live.find((b) => b.id === owner)!;
    for (const [rcpt, outcome] of await deps.channel.deliver(target, { ...delivery, recipients: rcpts })) {
      outcomes.set(rcpt, outcome);
    }
  }
  return outcomes;
}

/** Each external recipient's NOTIFY/ORCPT, for a next hop that offers DSN. */
function dsnParams(job: QueueJob, recipients: readonly string[]): Map<string, RecipientDsn> {
  const params = new Map<string, RecipientDsn>();
  for (const address of recipients) {
    const r = job.envelope.recipients.find((x) => x.address === address);
    if (!r || (!r.notify && !r.orcpt)) continue;
    params.set(address, {
      ...(r.notify ? { notify: r.notify } : {}),
      ...(r.orcpt ? { orcpt: r.orcpt } : {}),
    });
  }
  return params;
}

/** Hand the external recipients to the outbound relay (none: nothing to do). */
async function relayExternal(deps: AttemptDeps, job: QueueJob, recipients: string[]): Promise<Outcomes> {
  if (recipients.length === 0) return new Map();
  const { envelope } = job;
  const result = await deps.relay.send({
    jobId: job.id,
    mailFrom: envelope.mailFrom,
    recipients,
    // Signed here, once, so every relay (MX, smarthost, SES) sends the same signed message.
    openBody: await dkimSignedOpener(deps, job, () => deps.messages.open(job.body)),
    dsn: dsnParams(job, recipients),
    ...(envelope.envid ? { envid: envelope.envid } : {}),
    ...(envelope.ret ? { ret: envelope.ret } : {}),
    ...(envelope.smtputf8 ? { smtputf8: true } : {}),
    ...(envelope.bodyType ? { bodyType: envelope.bodyType } : {}),
  });
  for (const [rcpt, o] of result) if (o.kind === 'delivered') recordRelayed(deps.history, job, rcpt, o);
  return new Map(result);
}

/** Deliver the pending recipients once, local and external in parallel; outcomes by address. */
export async function attemptDelivery(
  deps: AttemptDeps,
  job: QueueJob,
  pending: readonly JobRecipient[],
): Promise<Outcomes> {
  if (pending.length === 0) return new Map();
  const plan = await routeRecipients(
    {
      directory: deps.directory,
      leases: deps.leases,
      registry: deps.registry,
      mode: deps.backendMode,
      now: deps.clock.now(),
    },
    pending.map((r) => r.address),
  );
  const outcomes: Outcomes = new Map(plan.decided);
  const record = (result: Outcomes) => {
    for (const [rcpt, outcome] of result) outcomes.set(rcpt, outcome);
  };
  await Promise.all([
    ...[...plan.local.values()].map((group) =>
      deliverLocal(deps, job, group, plan.live).then(countLocal(deps.clock, job)).then(record),
    ),
    relayExternal(deps, job, plan.external).then(countRelay).then(record),
  ]);
  return outcomes;
}
