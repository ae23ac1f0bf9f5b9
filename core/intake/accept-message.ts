/**
 * Message acceptance (end of DATA): streams the message through IntakeBodyStream into
 * MessageStore.put under a new queue id, then enqueues ONE QueueJob, and resolves ok only when
 * both are durable — that is what lets the frontend answer 250. Expected failures are values:
 * too big → 552, loop → 554 5.4.6, put fails → 451 and nothing enqueued, enqueue fails → the
 * body is deleted (best effort) and 451/452. The DATA stream is always drained to its end.
 */
import type { Readable } from 'node:stream';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import { QueueFullError } from '../ports/errors.ts';
import type { Logger } from '../ports/logger.ts';
import type { JobRecipient, MailQueue, MessageSource, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { newQueueId } from '../util/ids.ts';
import { IntakeBodyStream } from './body-stream.ts';
import type { AcceptedRecipient, SessionFacts } from './envelope-checks.ts';
import { formatReceivedHeader } from './received-header.ts';

/** More Received headers than this means the message is looping (RFC 5321 §6.3 suggests ~100). */
export const MAX_RECEIVED_HOPS = 50;

export interface AcceptDeps {
  readonly messages: MessageStore;
  readonly queue: MailQueue;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Queue id factory (tests pin it). */
  readonly newId?: (now: number) => string;
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
}

export type AcceptFailureReason = 'too-big' | 'loop' | 'client-gone' | 'storage' | 'queue' | 'queue-full';

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
  const threshold = Math.max(0, ...req.recipients.map((r) => limitFor(r, req.maxMessageSize)));
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
      const limited = req.recipients.find((r) => limitFor(r, req.maxMessageSize) === threshold)!;
      const reply =
        threshold >= req.maxMessageSize
          ? replies.messageTooBig(req.maxMessageSize)
          : replies.messageTooBigForRecipient(limited.original, threshold);
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
  try {
    await deps.queue.enqueue([job]);
  } catch (error) {
    // The body without a job would be an orphan; if this delete fails too, a sweeper finds it.
    await deps.messages.delete(ref).catch((err: unknown) => {
      log.warn(
        { event: 'intake.orphan_body', key: ref.key, err },
        'could not delete body after failed enqueue',
      );
    });
    if (error instanceof QueueFullError)
      return { ok: false, reason: 'queue-full', reply: replies.queueFull() };
    log.error({ event: 'intake.enqueue_failed', err: error }, 'job could not be enqueued');
    return { ok: false, reason: 'queue', reply: replies.localError(), error };
  }
  return { ok: true, queueId, size: ref.size, recipients: recipients.length, stored: true };
}
