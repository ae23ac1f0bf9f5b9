/**
 * Where mail made by rules goes (source RULE): the shared queue (remote queue processing, the
 * default: processed once) or, in "forward to frontends" mode, an SMTP submission to the frontends
 * (adapters/net/smtp-generated-sink.ts). `queueSink` stores the body under the given derived id
 * and enqueues one job; the queue ignores an id it already holds, so a repeated delivery does not
 * send twice while the first copy waits. `collectingSink` stores the body the same way but keeps
 * the job for its caller to enqueue with others in one call (the cluster rules at acceptance).
 * A message none of whose recipients is left to deliver to is not stored. Both reject when the
 * body or the job could not be stored.
 */
import type { Readable } from 'node:stream';
import { resolveRecipient } from '../directory/resolve-recipient.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import { acceptedFact, type HistoryRecorder } from '../util/history-recorder.ts';

/** Envelope traits a generated message that carries the original keeps from it. */
export interface CarriedEnvelope {
  readonly smtputf8?: boolean;
  readonly bodyType?: '7BIT' | '8BITMIME';
}

export interface GeneratedSubmission extends CarriedEnvelope {
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

interface StoreDeps {
  readonly messages: MessageStore;
  readonly directory: DirectoryReader;
  readonly clock: Clock;
}

/** Store a generated message's body and make its job; undefined when no recipient is pending. */
async function storeGeneratedJob(deps: StoreDeps, m: GeneratedSubmission): Promise<QueueJob | undefined> {
  const now = deps.clock.now();
  const recipients = await generatedRecipients(deps.directory, m.recipients, now);
  if (!recipients.some((r) => r.state === 'pending')) return undefined;
  const body = await deps.messages.put(m.id, await m.openBody());
  return {
    id: m.id,
    source: 'RULE',
    createdAt: now,
    body,
    envelope: {
      mailFrom: m.mailFrom,
      recipients,
      ...(m.smtputf8 ? { smtputf8: true } : {}),
      ...(m.bodyType ? { bodyType: m.bodyType } : {}),
    },
    attempts: 0,
  };
}

/** Each generated message becomes one job in the shared queue, enqueued at once. */
export function queueSink(
  deps: StoreDeps & { readonly queue: MailQueue; readonly history?: HistoryRecorder },
): GeneratedMailSink {
  return {
    mode: 'queue',
    async submit(m) {
      const job = await storeGeneratedJob(deps, m);
      if (job) await deps.queue.enqueue([job]);
      if (job) deps.history?.record(job.id, acceptedFact(job));
    },
  };
}

export interface CollectingSink extends GeneratedMailSink {
  /** The jobs made so far (their bodies are stored), in submission order. */
  readonly jobs: readonly QueueJob[];
}

/** Each generated message's body is stored and its job kept for the caller to enqueue. */
export function collectingSink(deps: StoreDeps): CollectingSink {
  const jobs: QueueJob[] = [];
  return {
    mode: 'queue',
    jobs,
    async submit(m) {
      const job = await storeGeneratedJob(deps, m);
      if (job) jobs.push(job);
    },
  };
}
