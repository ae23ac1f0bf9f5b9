/**
 * Where mail made by rules goes (source RULE): the shared queue (remote queue processing, the
 * default: processed once) or, in "forward to frontends" mode, an SMTP submission to the frontends
 * (fargate/backend/smtp-generated-sink.ts). `queueSink` stores the body under the given derived id
 * and enqueues one job; the queue ignores an id it already holds, so a repeated delivery does not
 * send twice while the first copy waits. Rejects when the body or the job could not be stored.
 */
import type { Readable } from 'node:stream';
import { resolveRecipient } from '../directory/resolve-recipient.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';

export interface GeneratedSubmission {
  /** Queue id derived from the delivery and the action (derivedQueueId), stable across retries. */
  readonly id: string;
  /** '' for the null sender (auto-replies). */
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** Opens the generated message's bytes afresh. */
  readonly openBody: () => Promise<Readable>;
}

export interface GeneratedMailSink {
  readonly mode: 'queue' | 'smtp';
  /** Resolves once the message is durably handed over; rejects otherwise (the delivery is retried). */
  submit(message: GeneratedSubmission): Promise<void>;
}

/**
 * A generated message's recipients as the frontend would have accepted them: aliases and
 * forwarders resolved, discarded names marked; a name that does not resolve stays pending under
 * the address given, so delivery refuses it and the sender gets the DSN through the usual path.
 */
export async function generatedRecipients(
  directory: DirectoryReader,
  addresses: readonly string[],
  now: number,
): Promise<JobRecipient[]> {
  const out: JobRecipient[] = [];
  const seen = new Set<string>();
  for (const given of addresses) {
    const r = await resolveRecipient(directory, given);
    const original = r.ok ? r.original : given;
    const base = { original, attempts: 0, updatedAt: now };
    if (r.ok && r.route.kind === 'discard') {
      out.push({ ...base, address: original, state: 'discarded' });
      continue;
    }
    const address =
      r.ok && (r.route.kind === 'local' || r.route.kind === 'external') ? r.route.address : original;
    if (seen.has(address)) continue;
    seen.add(address);
    out.push({ ...base, address, state: 'pending' });
  }
  return out;
}

export function queueSink(deps: {
  readonly queue: MailQueue;
  readonly messages: MessageStore;
  readonly directory: DirectoryReader;
  readonly clock: Clock;
}): GeneratedMailSink {
  return {
    mode: 'queue',
    async submit(m) {
      const now = deps.clock.now();
      const recipients = await generatedRecipients(deps.directory, m.recipients, now);
      if (!recipients.some((r) => r.state === 'pending')) return;
      const body = await deps.messages.put(m.id, await m.openBody());
      const job: QueueJob = {
        id: m.id,
        source: 'RULE',
        createdAt: now,
        body,
        envelope: { mailFrom: m.mailFrom, recipients },
        attempts: 0,
      };
      await deps.queue.enqueue([job]);
    },
  };
}
