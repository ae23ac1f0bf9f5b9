/**
 * Builds a DSN for some of a job's recipients and enqueues it as a new job from `<>` (source DSN).
 * Never for a null sender. The DSN's queue id is derived from the job id, the kind and the
 * recipients, so repeating the same step after a crash enqueues the same id (the queue ignores
 * an id it already holds) instead of a second report.
 */
import { Readable } from 'node:stream';
import { buildDsn, type DsnInput } from '../dsn/build-dsn.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { acceptedFact, type HistoryRecorder } from '../util/history-recorder.ts';
import { derivedQueueId } from '../util/ids.ts';

export type DsnKind = 'failed' | 'delayed' | 'delivered' | 'relayed';

type SendDsnDeps = {
  queue: Pick<MailQueue, 'enqueue'>;
  messages: MessageStore;
  clock: Clock;
  hostname: string;
  history?: HistoryRecorder;
};

/** The same id for the same job, kind and recipients, so a repeated step enqueues nothing new. */
function dsnQueueId(job: QueueJob, kind: DsnKind, recipients: readonly JobRecipient[]): string {
  const addresses = recipients
    .map((r) => r.address)
    .sort()
    .join(',');
  return derivedQueueId(job.id, `${kind}:${addresses}`);
}

/** What the report says: the job's envelope (ENVID, RET) and each recipient's last reply. */
function dsnInput(
  hostname: string,
  job: QueueJob,
  kind: DsnKind,
  recipients: readonly JobRecipient[],
  now: number,
  willRetryUntil: number | undefined,
): DsnInput {
  return {
    reportingMta: hostname,
    queueId: job.id,
    sender: job.envelope.mailFrom,
    arrivalDate: job.createdAt,
    now,
    ...(job.envelope.envid ? { envid: job.envelope.envid } : {}),
    ...(job.envelope.ret ? { ret: job.envelope.ret } : {}),
    ...(willRetryUntil !== undefined ? { willRetryUntil } : {}),
    recipients: recipients.map((r) => ({
      address: r.original,
      ...(r.orcpt ? { orcpt: r.orcpt } : {}),
      action: kind,
      ...(r.lastReply ? { reply: r.lastReply } : {}),
      ...(r.remoteMta ? { remoteMta: r.remoteMta } : {}),
    })),
  };
}

/** The DSN as a queue job from `<>` to the original sender, who gets no DSN about it (NOTIFY=NEVER). */
function dsnJob(id: string, now: number, body: BodyRef, sender: string): QueueJob {
  return {
    id,
    source: 'DSN',
    createdAt: now,
    body,
    envelope: {
      mailFrom: '',
      recipients: [{ address: sender, original: sender, state: 'pending', attempts: 0, notify: ['NEVER'] }],
    },
    attempts: 0,
  };
}

/** Build and enqueue the DSN; its queue id, or undefined when none is due (null sender, or a DSN). */
export async function sendDsn(
  deps: SendDsnDeps,
  job: QueueJob,
  kind: DsnKind,
  recipients: readonly JobRecipient[],
  opts: { willRetryUntil?: number } = {},
): Promise<string | undefined> {
  if (job.envelope.mailFrom === '' || job.source === 'DSN') return undefined;
  const now = deps.clock.now();
  const id = dsnQueueId(job, kind, recipients);
  const original = await deps.messages.open(job.body);
  const body = buildDsn(dsnInput(deps.hostname, job, kind, recipients, now, opts.willRetryUntil), original);
  const ref = await deps.messages.put(id, Readable.from(body));
  const dsn = dsnJob(id, now, ref, job.envelope.mailFrom);
  await deps.queue.enqueue([dsn]);
  deps.history?.record(id, acceptedFact(dsn, job.id));
  return id;
}
