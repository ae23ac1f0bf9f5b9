/**
 * Builds a DSN for some of a job's recipients and enqueues it as a new job from `<>` (source DSN).
 * Never for a null sender. The DSN's queue id is derived from the job id, the kind and the
 * recipients, so repeating the same step after a crash enqueues the same id (the queue ignores
 * an id it already holds) instead of a second report.
 */
import { Readable } from 'node:stream';
import { buildDsn } from '../dsn/build-dsn.ts';
import type { Clock } from '../ports/clock.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import { derivedQueueId } from '../util/ids.ts';

export type DsnKind = 'failed' | 'delayed' | 'delivered';

export async function sendDsn(
  deps: { queue: Pick<MailQueue, 'enqueue'>; messages: MessageStore; clock: Clock; hostname: string },
  job: QueueJob,
  kind: DsnKind,
  recipients: readonly JobRecipient[],
  opts: { willRetryUntil?: number } = {},
): Promise<string | undefined> {
  if (job.envelope.mailFrom === '' || job.source === 'DSN') return undefined;
  const now = deps.clock.now();
  const id = derivedQueueId(
    job.id,
    `${kind}:${recipients
      .map((r) => r.address)
      .sort()
      .join(',')}`,
  );
  const original = await deps.messages.open(job.body);
  const body = buildDsn(
    {
      reportingMta: deps.hostname,
      queueId: job.id,
      sender: job.envelope.mailFrom,
      arrivalDate: job.createdAt,
      now,
      ...(job.envelope.envid ? { envid: job.envelope.envid } : {}),
      ...(job.envelope.ret ? { ret: job.envelope.ret } : {}),
      ...(opts.willRetryUntil !== undefined ? { willRetryUntil: opts.willRetryUntil } : {}),
      recipients: recipients.map((r) => ({
        address: r.original,
        ...(r.orcpt ? { orcpt: r.orcpt } : {}),
        action: kind,
        ...(r.lastReply ? { reply: r.lastReply } : {}),
      })),
    },
    original,
  );
  const ref = await deps.messages.put(id, Readable.from(body));
  const dsn: QueueJob = {
    id,
    source: 'DSN',
    createdAt: now,
    body: ref,
    envelope: {
      mailFrom: '',
      recipients: [
        {
          address: job.envelope.mailFrom,
          original: job.envelope.mailFrom,
          state: 'pending',
          attempts: 0,
          notify: ['NEVER'],
        },
      ],
    },
    attempts: 0,
  };
  await deps.queue.enqueue([dsn]);
  return id;
}
