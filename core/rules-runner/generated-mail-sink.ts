/**
 * Where mail made by rules goes (source RULE): the shared queue (remote queue processing, the
 * default: processed once) or, in "forward to frontends" mode, an SMTP submission to the frontends
 * (adapters/net/smtp-generated-sink.ts). `queueSink` stores the body under the given derived id
 * and enqueues one job; the queue ignores an id it already holds, so a repeated delivery does not
 * send twice while the first copy waits. `collectingSink` stores the body the same way but keeps
 * the job for its caller to enqueue with others in one call (the cluster rules at acceptance).
 * A message none of whose recipients is left to deliver to is not stored. Both reject when the
 * body or the job could not be stored.
 * In queue mode generated mail passes the cluster rules once, as if it had arrived over SMTP:
 * `queueSink` takes an optional `clusterRules` screen (intake/cluster-rules.ts, wired by the
 * caller) run on each job with source RULE; what it generates is enqueued with it and never
 * screened again (no loop). A reject drops the message and is logged (rules.generated_rejected).
 */
import type { Readable } from 'node:stream';
import { resolveRecipient } from '../directory/resolve-recipient.ts';
import type { Reply } from '../mail/outcome.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
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

/** What the cluster rules decide about a job (intake/cluster-rules.ts's ClusterDecision). */
export type ScreenDecision =
  | { readonly kind: 'reject'; readonly reply: Reply }
  | {
      readonly kind: 'enqueue';
      /** The job (unless dropped, perhaps with an edited body) and the jobs the rules generated. */
      readonly jobs: readonly QueueJob[];
      /** Bodies the rules stored: delete them if the enqueue fails. */
      readonly created: readonly BodyRef[];
      /** Bodies no job refers to any more: delete them once the enqueue succeeded. */
      readonly obsolete: readonly BodyRef[];
    };

/** The cluster rules as a queue sink runs them on a generated job (rejects on a storage fault). */
export type ClusterScreen = (job: QueueJob) => Promise<ScreenDecision>;

export interface QueueSinkDeps extends StoreDeps {
  readonly queue: MailQueue;
  /** The cluster rules, run once on each generated job before it is enqueued. */
  readonly clusterRules?: ClusterScreen;
  /** For rules.generated_rejected and orphan-body warnings (required with clusterRules). */
  readonly logger?: Logger;
  /** Message history (best-effort): each enqueued generated job is recorded as accepted. */
  readonly history?: HistoryRecorder;
}

/** Best effort: a body that stays behind is an orphan the sweep removes. */
async function deleteBodies(deps: QueueSinkDeps, refs: readonly BodyRef[], queueId: string) {
  for (const ref of refs) {
    await deps.messages.delete(ref).catch((err: unknown) => {
      deps.logger?.warn({ event: 'rules.orphan_body', queueId, key: ref.key, err });
    });
  }
}

/** Run the cluster rules on a generated job, then enqueue what they keep and make in one call. */
async function screenAndEnqueue(deps: QueueSinkDeps, screen: ClusterScreen, job: QueueJob) {
  let decision: ScreenDecision;
  try {
    decision = await screen(job);
  } catch (err) {
    await deleteBodies(deps, [job.body], job.id);
    throw err;
  }
  if (decision.kind === 'reject') {
    await deleteBodies(deps, [job.body], job.id);
    deps.logger?.warn({ event: 'rules.generated_rejected', queueId: job.id, reply: decision.reply });
    return;
  }
  try {
    if (decision.jobs.length > 0) await deps.queue.enqueue(decision.jobs);
    for (const j of decision.jobs) deps.history?.record(j.id, acceptedFact(j));
  } catch (err) {
    await deleteBodies(deps, [job.body, ...decision.created], job.id);
    throw err;
  }
  await deleteBodies(deps, decision.obsolete, job.id);
}

/**
 * Each generated message becomes one job in the shared queue, enqueued at once — after the
 * cluster rules, when given, had their one pass at it.
 */
export function queueSink(deps: QueueSinkDeps): GeneratedMailSink {
  return {
    mode: 'queue',
    async submit(m) {
      const job = await storeGeneratedJob(deps, m);
      if (!job) return;
      if (deps.clusterRules) await screenAndEnqueue(deps, deps.clusterRules, job);
      else {
        await deps.queue.enqueue([job]);
        deps.history?.record(job.id, acceptedFact(job));
      }
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
