/**
 * Message acceptance (end of DATA), in four steps: store the body durably (store-body.ts: DATA
 * through IntakeBodyStream into MessageStore.put under a new queue id; on the MX port then verified
 * and given our Authentication-Results, verify-stored.ts) → run the cluster rules
 * (cluster-rules.ts) and count the sender's MailOutFlow → enqueue the job and any the rules made
 * in one call → answer. It resolves ok only when all is durable — that is what lets the frontend
 * answer 250. Expected failures are values: too big → 552 (MaxMailOutSize named when it was the
 * limit), loop → 554 5.4.6, a rule's reject or a DMARC/SPF policy refusal → 550 5.7.1, MailOutFlow → 452 4.7.1, put fails →
 * 451 and nothing enqueued, rules fail or enqueue fails → the bodies are deleted (best effort)
 * and 451/452. The DATA stream is always drained. Generated mail a backend submits with its
 * derived id (XGENID) keeps that id, so the queue's dedupe makes a repeat a no-op answered 250.
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
import { acceptedFact, type HistoryRecorder } from '../util/history-recorder.ts';
import { newQueueId } from '../util/ids.ts';
import { applyClusterRules, type ClusterDecision, type ClusterRulesDeps } from './cluster-rules.ts';
import { type ContentScanDeps, scanStored } from './content-scan.ts';
import type { AcceptedRecipient } from './envelope-checks.ts';
import type { InboundAuthDeps } from './inbound-auth.ts';
import { consumeMailOut } from './sender-limits.ts';
import { type StoreRequest, storeBody } from './store-body.ts';
import { verifyStored } from './verify-stored.ts';

export { MAX_RECEIVED_HOPS } from './store-body.ts';

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
  /** Message history (best-effort); without it nothing is recorded. */
  readonly history?: HistoryRecorder;
  /** SPF/DKIM/DMARC/ARC verification for requests that ask for it (`verifyAuth`). */
  readonly inboundAuth?: InboundAuthDeps;
  /** The content filter for requests that ask for it (`scanContent`); absent = no filter. */
  readonly contentFilter?: ContentScanDeps;
}

export interface AcceptRequest extends StoreRequest {
  /** Which frontend took the message (job.client.frontend). */
  readonly frontendId: string;
  readonly mailFrom: string;
  readonly ret?: 'FULL' | 'HDRS';
  readonly envid?: string;
  readonly smtputf8?: boolean;
  readonly bodyType?: '7BIT' | '8BITMIME';
  /**
   * Mail a backend's rules generated (XGENID, generated-id.ts): its derived id becomes the queue
   * id and the source is RULE, so the queue ignores a repeated submission (answered 250 again).
   */
  readonly generatedId?: string;
  /** Verify SPF/DKIM/DMARC/ARC and add our Authentication-Results (MX, unauthenticated, untrusted). */
  readonly verifyAuth?: boolean;
  /** Scan with the content filter (not for mail the cluster generated, data.ts). */
  readonly scanContent?: boolean;
}

export type AcceptFailureReason =
  | 'too-big'
  | 'header-limit'
  | 'loop'
  | 'client-gone'
  | 'storage'
  | 'queue'
  | 'queue-full'
  | 'rejected'
  | 'auth-policy'
  | 'spam'
  | 'filter-unavailable'
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

type AcceptFailure = Extract<AcceptResult, { ok: false }>;

/** Every recipient is discarded by policy: read DATA to its end, store nothing, answer 250. */
async function acceptWithoutStoring(data: Readable, queueId: string): Promise<AcceptResult> {
  await new Promise<void>((resolve) => {
    data.once('end', resolve).once('close', resolve).once('error', resolve).resume();
  });
  return { ok: true, queueId, size: 0, recipients: 0, stored: false };
}

function messageSource(req: AcceptRequest): MessageSource {
  if (req.generatedId !== undefined) return 'RULE';
  return req.session.authUser !== undefined ? 'SUBMIT' : 'SMTP';
}

/** The message's queue job: the envelope, per-recipient state and the client it came from. */
function messageJob(
  req: AcceptRequest,
  queueId: string,
  stored: { readonly ref: BodyRef; readonly messageId?: string },
  now: number,
): QueueJob {
  const { session } = req;
  const body = stored.ref;
  return {
    id: queueId,
    source: messageSource(req),
    ...(stored.messageId ? { messageId: stored.messageId } : {}),
    createdAt: now,
    body,
    envelope: {
      mailFrom: req.mailFrom,
      recipients: jobRecipients(req.recipients, now),
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
}

/** Delete bodies no job will refer to; if a delete fails, a sweeper finds the orphan. */
async function dropBodies(deps: AcceptDeps, refs: readonly BodyRef[], log: Logger): Promise<void> {
  for (const ref of refs) {
    await deps.messages.delete(ref).catch((err: unknown) => {
      log.warn({ event: 'intake.orphan_body', key: ref.key, err }, 'could not delete an unused body');
    });
  }
}

type Enqueue = Extract<ClusterDecision, { kind: 'enqueue' }>;

/**
 * Step 2: the cluster rules, then the sender's MailOutFlow (counted only for a message the rules
 * let through). Any refusal or fault deletes what was stored and answers; else the jobs to enqueue.
 */
async function runClusterRules(
  deps: AcceptDeps,
  req: AcceptRequest,
  job: QueueJob,
  log: Logger,
): Promise<Enqueue | AcceptFailure> {
  let decision: ClusterDecision = { kind: 'enqueue', jobs: [job], created: [], obsolete: [] };
  let limit: Reply | undefined;
  try {
    if (deps.clusterRules) decision = await applyClusterRules(deps.clusterRules, job);
    if (decision.kind === 'enqueue' && req.sender && deps.counters)
      limit = await consumeMailOut(deps.counters, req.sender);
  } catch (error) {
    await dropBodies(deps, [job.body], log);
    log.error({ event: 'intake.rules_failed', err: error }, 'cluster rules or sender limits failed');
    return { ok: false, reason: 'storage', reply: replies.localError(), error };
  }
  if (decision.kind === 'reject') {
    await dropBodies(deps, [job.body], log);
    return { ok: false, reason: 'rejected', reply: decision.reply };
  }
  if (limit) {
    await dropBodies(deps, [job.body, ...decision.created], log);
    return { ok: false, reason: 'limit', reply: limit };
  }
  return decision;
}

/** Step 3: one enqueue of every job; if it fails, the bodies without their jobs are deleted. */
async function enqueueJobs(
  deps: AcceptDeps,
  job: QueueJob,
  decision: Enqueue,
  log: Logger,
): Promise<AcceptFailure | undefined> {
  try {
    if (decision.jobs.length > 0) await deps.queue.enqueue(decision.jobs);
  } catch (error) {
    await dropBodies(deps, [job.body, ...decision.created], log);
    if (error instanceof QueueFullError)
      return { ok: false, reason: 'queue-full', reply: replies.queueFull() };
    log.error({ event: 'intake.enqueue_failed', err: error }, 'job could not be enqueued');
    return { ok: false, reason: 'queue', reply: replies.localError(), error };
  }
  await dropBodies(deps, decision.obsolete, log);
  return undefined;
}

/** Step 4: everything is durable; what the 250 reports (the message's own job, if the rules kept it). */
function accepted(job: QueueJob, decision: Enqueue): AcceptResult {
  const own = decision.jobs.find((j) => j.id === job.id);
  return {
    ok: true,
    queueId: job.id,
    size: job.body.size,
    recipients: own ? own.envelope.recipients.length : 0,
    stored: own !== undefined,
  };
}

/** Step 1b (MX): verify the stored body and swap it for its copy with our Authentication-Results. */
async function verifyIfAsked(
  deps: AcceptDeps,
  req: AcceptRequest,
  queueId: string,
  ref: BodyRef,
  log: Logger,
) {
  if (!req.verifyAuth || !deps.inboundAuth) return { ok: true as const, ref };
  const { session } = req;
  const request = { ip: session.ip, helo: session.helo, mailFrom: req.mailFrom };
  return verifyStored({ messages: deps.messages, inboundAuth: deps.inboundAuth }, request, queueId, ref, log);
}

/** Step 1c: the content filter's scan; the copy with X-Spam-* headers, or a refusal. */
async function scanIfAsked(deps: AcceptDeps, req: AcceptRequest, queueId: string, ref: BodyRef, log: Logger) {
  if (!req.scanContent || !deps.contentFilter) return { ok: true as const, ref };
  const { session } = req;
  const envelope = {
    ip: session.ip,
    helo: session.helo,
    mailFrom: req.mailFrom,
    recipients: req.recipients.map((r) => r.original),
    queueId,
    hostname: req.hostname,
    ...(session.authUser !== undefined ? { user: session.authUser } : {}),
  };
  return scanStored(deps.contentFilter, deps.messages, envelope, ref, log);
}

/** Store the body durably → run the cluster rules → enqueue → answer; ok only when all is durable. */
export async function acceptMessage(
  deps: AcceptDeps,
  req: AcceptRequest,
  data: Readable,
): Promise<AcceptResult> {
  const now = deps.clock.now();
  const queueId = req.generatedId ?? (deps.newId ?? newQueueId)(now);
  if (req.recipients.every((r) => r.route.kind === 'discard')) return acceptWithoutStoring(data, queueId);
  const log = deps.logger.child({ queueId });

  const stored = await storeBody(deps, req, data, queueId, now, log);
  if (!stored.ok) return stored;
  const verified = await verifyIfAsked(deps, req, queueId, stored.ref, log);
  if (!verified.ok) return verified;
  const scanned = await scanIfAsked(deps, req, queueId, verified.ref, log);
  if (!scanned.ok) return scanned;
  const job = messageJob(req, queueId, { ...stored, ref: scanned.ref }, now);
  const decision = await runClusterRules(deps, req, job, log);
  if ('ok' in decision) return decision;
  const failed = await enqueueJobs(deps, job, decision, log);
  if (!failed) for (const j of decision.jobs) deps.history?.record(j.id, acceptedFact(j, job.id));
  return failed ?? accepted(job, decision);
}
