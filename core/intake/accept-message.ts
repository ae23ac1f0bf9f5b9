/**
 * Message acceptance (end of DATA): streams the message through IntakeBodyStream into
 * MessageStore.put under a new queue id, runs the cluster rules (cluster-rules.ts), counts the
 * sender's MailOutFlow, then enqueues the job (and any the rules made) in one call, and resolves ok
 * only when all is durable — that is what lets the frontend answer 250. Expected failures are
 * values: too big → 552 (MaxMailOutSize named when it was the limit), loop → 554 5.4.6, a rule's
 * reject → 550 5.7.1, MailOutFlow → 452 4.7.1, put fails → 451 and nothing enqueued, enqueue
 * fails → the bodies are deleted (best effort) and 451/452. The DATA stream is always drained.
 */
import type { Readable } from 'node:stream';
import type { MessageSource } from '../mail/message-source.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import { QueueFullError } from '../ports/errors.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRecipient, MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { newQueueId } from '../util/ids.ts';
import { IntakeBodyStream } from './body-stream.ts';
import { applyClusterRules, type ClusterDecision, type ClusterRulesDeps } from './cluster-rules.ts';
import type { AcceptedRecipient, SessionFacts } from './envelope-checks.ts';
import { formatReceivedHeader } from './received-header.ts';
import { consumeMailOut, type SenderLimits } from './sender-limits.ts';

/** More Received headers than this means the message is looping (RFC 5321 §6.3 suggests ~100). */
export const MAX_RECEIVED_HOPS = 50;

export interface AcceptDeps {
  readonly messages: MessageStore;
  readonly queue: MailQueue;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Queue id factory (tests pin it). */
  readonly newId?: (now: number) => string;
  /** The cluster-wide rules; without them every message is enqueued as received. */
  readonly clusterRules?: ClusterRulesDeps;
  /** For the sender's MailOutFlow; without it that limit is not counted. */
  readonly counters?: Counters;
}

export interface AcceptRequest {
  readonly session: SessionFacts;
  /** Our host name for the Received header. */
  readonly hostname: string;
  /** Which frontend took the message (job.client.frontend). */
  readonly frontendId: string;
  readonly mailFrom: string;
  readonly recipients: readonly AcceptedRecipient[];
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly smtputf8?: boolean;
  readonly bodyType?: '7BIT' | '8BITMIME';
  /** The cluster's size limit (bytes); per-account limits are applied on top. */
  readonly maxMessageSize: number;
  /** The authenticated sender's limits (MaxMailOutSize, MailOutFlow), if any. */
  readonly sender?: SenderLimits;
}

export type AcceptFailureReason =
  | 'too-big'
  | 'loop'
  | 'client-gone'
  | 'storage'
  | 'queue'
  | 'queue-full'
  | 'rejected'
  | 'limit';

export type AcceptResult =
  | {
      readonly ok: true;
      readonly queueId: string;
      readonly size: number;
      readonly recipients: number;
      readonly stored: boolean;
    }
  | {
      readonly ok: false;
      readonly reason: AcceptFailureReason;
      readonly reply: Reply;
      readonly error?: unknown;
    };

/** The size limit that applies to one recipient. */
function limitFor(r: AcceptedRecipient, clusterMax: number): number {
  const own = r.route.kind === 'local' ? r.route.settings.MaxMessageSize : null;
  return own === null ? clusterMax : Math.min(own, clusterMax);
}

/**
 * Per-recipient job state. Intake never fails a recipient it accepted: an accept-and-bounce
 * recipient (unknown name) and one whose own size limit this message exceeds are enqueued
 * 'pending' like the others, and the delivery path refuses them permanently (550 5.1.1 /
 * 552 5.2.3 from the backend), which produces the one DSN through the normal DSN path.
 */
function jobRecipients(recipients: readonly AcceptedRecipient[], now: number): JobRecipient[] {
  const out: JobRecipient[] = [];
  const pending = new Set<string>();
  for (const r of recipients) {
    const base = {
      original: r.original,
      ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
      ...(r.notify ? { notify: r.notify } : {}),
      attempts: 0,
      updatedAt: now,
    };
    if (r.route.kind === 'discard') {
      out.push({ ...base, address: r.original, state: 'discarded' });
      continue;
    }
    const address = r.route.kind === 'bounce' ? r.original : r.route.address;
    // An alias and its account named in one message are one delivery.
    if (pending.has(address)) continue;
    pending.add(address);
    out.push({ ...base, address, state: 'pending' });
  }
  return out;
}

/** Stop feeding `body` and read the rest of the DATA stream into nowhere. */
function drain(data: Readable, body: IntakeBodyStream): void {
  data.unpipe(body);
  if (!data.destroyed && !data.readableEnded) data.resume();
}

export async function acceptMessage(
  deps: AcceptDeps,
  req: AcceptRequest,
  data: Readable,
): Promise<AcceptResult> {
  const now = deps.clock.now();
  const queueId = (deps.newId ?? newQueueId)(now);
  const log = deps.logger.child({ queueId });
  const storable = req.recipients.some((r) => r.route.kind !== 'discard');
  const rcptThreshold = Math.max(0, ...req.recipients.map((r) => limitFor(r, req.maxMessageSize)));
  const outSize = req.sender?.maxMailOutSize ?? null;
  const threshold = outSize !== null ? Math.min(rcptThreshold, outSize) : rcptThreshold;
  const session = req.session;
  const header = formatReceivedHeader({
    helo: session.helo,
    ip: session.ip,
    hostname: req.hostname,
    esmtp: session.esmtp,
    tls: session.tls,
    authenticated: session.authUser !== undefined,
    queueId,
    ...(req.recipients.length === 1 ? { recipient: req.recipients[0]!.original } : {}),
    date: new Date(now),
  });
  const body = new IntakeBodyStream({ header, maxBytes: threshold, maxHops: MAX_RECEIVED_HOPS });

  if (!storable) {
    // Every recipient is discarded by policy: accept without storing anything.
    await new Promise<void>((resolve) => {
      data.once('end', resolve).once('close', resolve).once('error', resolve).resume();
    });
    return { ok: true, queueId, size: 0, recipients: 0, stored: false };
  }

  let clientGone: Error | undefined;
  const onSourceError = (err: Error) => {
    clientGone = err;
    body.destroy(err);
  };
  const onSourceClose = () => {
    // A stream destroyed before 'end' (client disconnected mid-DATA) must fail the put, not hang it.
    if (!data.readableEnded) onSourceError(new Error('DATA stream closed before the end of the message'));
  };
  data.on('error', onSourceError).on('close', onSourceClose);
  body.on('error', () => drain(data, body));
  data.pipe(body);

  let ref: BodyRef;
  try {
    ref = await deps.messages.put(queueId, body);
  } catch (error) {
    drain(data, body);
    body.destroy();
    data.off('error', onSourceError).off('close', onSourceClose);
    const failure = body.failure;
    if (failure?.kind === 'too-big') {
      if (req.sender && outSize !== null && outSize < rcptThreshold) {
        return { ok: false, reason: 'too-big', reply: replies.mailOutSize(req.sender.account, outSize) };
      }
      const limited = req.recipients.find((r) => limitFor(r, req.maxMessageSize) === rcptThreshold)!;
      const reply =
        rcptThreshold >= req.maxMessageSize
          ? replies.messageTooBig(req.maxMessageSize)
          : replies.messageTooBigForRecipient(limited.original, rcptThreshold);
      return { ok: false, reason: 'too-big', reply };
    }
    if (failure?.kind === 'loop')
      return { ok: false, reason: 'loop', reply: replies.loopDetected(failure.hops) };
    if (clientGone)
      return { ok: false, reason: 'client-gone', reply: replies.localError(), error: clientGone };
    log.error({ event: 'intake.store_failed', err: error }, 'message body could not be stored');
    return { ok: false, reason: 'storage', reply: replies.localError(), error };
  }
  data.off('error', onSourceError).off('close', onSourceClose);

  const recipients = jobRecipients(req.recipients, now);
  const job: QueueJob = {
    id: queueId,
    source: (session.authUser !== undefined ? 'SUBMIT' : 'SMTP') satisfies MessageSource,
    createdAt: now,
    body: ref,
    envelope: {
      mailFrom: req.mailFrom,
      recipients,
      ...(req.ret ? { ret: req.ret } : {}),
      ...(req.envid ? { envid: req.envid } : {}),
      ...(req.smtputf8 ? { smtputf8: true } : {}),
      ...(req.bodyType ? { bodyType: req.bodyType } : {}),
    },
    client: {
      ip: session.ip,
      helo: session.helo,
      tls: session.tls,
      frontend: req.frontendId,
      ...(session.authUser !== undefined ? { authUser: session.authUser } : {}),
    },
    attempts: 0,
  };
  return enqueueAccepted(deps, req, job, log);
}

/** Delete bodies no job will refer to; if a delete fails, a sweeper finds the orphan. */
async function dropBodies(deps: AcceptDeps, refs: readonly BodyRef[], log: Logger): Promise<void> {
  for (const ref of refs) {
    await deps.messages.delete(ref).catch((err: unknown) => {
      log.warn({ event: 'intake.orphan_body', key: ref.key, err }, 'could not delete an unused body');
    });
  }
}

/** Cluster rules, MailOutFlow, then one enqueue of the message's job and the jobs the rules made. */
async function enqueueAccepted(
  deps: AcceptDeps,
  req: AcceptRequest,
  job: QueueJob,
  log: Logger,
): Promise<AcceptResult> {
  const ref = job.body;
  let decision: ClusterDecision = { kind: 'enqueue', jobs: [job], created: [], obsolete: [] };
  let limit: Reply | undefined;
  try {
    if (deps.clusterRules) decision = await applyClusterRules(deps.clusterRules, job);
    if (decision.kind === 'enqueue' && req.sender && deps.counters)
      limit = await consumeMailOut(deps.counters, req.sender);
  } catch (error) {
    await dropBodies(deps, [ref], log);
    log.error({ event: 'intake.rules_failed', err: error }, 'cluster rules or sender limits failed');
    return { ok: false, reason: 'storage', reply: replies.localError(), error };
  }
  if (decision.kind === 'reject') {
    await dropBodies(deps, [ref], log);
    return { ok: false, reason: 'rejected', reply: decision.reply };
  }
  if (limit) {
    await dropBodies(deps, [ref, ...decision.created], log);
    return { ok: false, reason: 'limit', reply: limit };
  }
  try {
    if (decision.jobs.length > 0) await deps.queue.enqueue(decision.jobs);
  } catch (error) {
    // The bodies without their jobs would be orphans.
    await dropBodies(deps, [ref, ...decision.created], log);
    if (error instanceof QueueFullError)
      return { ok: false, reason: 'queue-full', reply: replies.queueFull() };
    log.error({ event: 'intake.enqueue_failed', err: error }, 'job could not be enqueued');
    return { ok: false, reason: 'queue', reply: replies.localError(), error };
  }
  await dropBodies(deps, decision.obsolete, log);
  const own = decision.jobs.find((j) => j.id === job.id);
  return {
    ok: true,
    queueId: job.id,
    size: ref.size,
    recipients: own ? own.envelope.recipients.length : 0,
    stored: own !== undefined,
  };
}
