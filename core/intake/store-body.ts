/**
 * Step 1 of message acceptance (accept-message.ts): stream DATA through IntakeBodyStream (our
 * Received header first, CRLF normalised, size and hop limits) into MessageStore.put under the
 * queue id. Resolves with the body's ref only once it is durable. Every failure is a value and
 * leaves nothing stored (put leaves nothing behind): a header limit crossed → 552 5.3.4 naming it,
 * too big → 552 (the sender's MaxMailOutSize
 * named when it was the limit, else the cluster's or the recipient's), loop → 554 5.4.6, the
 * header hook's refusal (sender binding) → its reply (550 5.7.1), client
 * gone mid-DATA or a store fault → 451 4.3.0. The DATA stream is drained on every failure.
 */
import type { Readable } from 'node:stream';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Logger } from '../ports/logger.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { type HeaderHook, IntakeBodyStream } from './body-stream.ts';
import type { AcceptedRecipient, SessionFacts } from './envelope-checks.ts';
import type { HeaderLimits } from './header-limits.ts';
import { formatReceivedHeader } from './received-header.ts';
import type { SenderLimits } from './sender-limits.ts';

const NO_HEADER_LIMITS = {
  maxFieldBytes: Number.POSITIVE_INFINITY,
  maxSectionBytes: Number.POSITIVE_INFINITY,
  maxFields: Number.POSITIVE_INFINITY,
} as const;

/** More Received headers than this means the message is looping (RFC 5321 §6.3 suggests ~100). */
export const MAX_RECEIVED_HOPS = 50;

export interface StoreRequest {
  readonly session: SessionFacts;
  /** Our host name for the Received header. */
  readonly hostname: string;
  readonly recipients: readonly AcceptedRecipient[];
  /** The cluster's size limit (bytes); per-account limits are applied on top. */
  readonly maxMessageSize: number;
  /** The authenticated sender's limits (MaxMailOutSize, MailOutFlow), if any. */
  readonly sender?: SenderLimits;
  /** Checked where the header section ends (sender binding): may refuse (550) or add a Sender. */
  readonly headerHook?: HeaderHook;
  /** Our authserv-id: incoming Authentication-Results fields claiming it are removed. */
  readonly authservId?: string;
  /** Header section limits (the frontend's config: DEFAULT_HEADER_LIMITS unless set); none when absent. */
  readonly headerLimits?: HeaderLimits;
}

export interface StoreFailure {
  readonly ok: false;
  readonly reason: 'too-big' | 'header-limit' | 'loop' | 'rejected' | 'client-gone' | 'storage';
  readonly reply: Reply;
  readonly error?: unknown;
}

/** The size limit that applies to one recipient. */
function limitFor(r: AcceptedRecipient, clusterMax: number): number {
  const own = r.route.kind === 'local' ? r.route.settings.MaxMessageSize : null;
  return own === null ? clusterMax : Math.min(own, clusterMax);
}

/** Stop feeding `body` and read the rest of the DATA stream into nowhere. */
function drain(data: Readable, body: IntakeBodyStream): void {
  data.unpipe(body);
  if (!data.destroyed && !data.readableEnded) data.resume();
}

/** The size limits of this message: the recipients' (largest wins) and the sender's MaxMailOutSize. */
interface SizeLimits {
  readonly recipients: number;
  readonly sender: number | null;
  /** Where storing stops: the smaller of the two. */
  readonly threshold: number;
}

function sizeLimits(req: StoreRequest): SizeLimits {
  const recipients = Math.max(0, ...req.recipients.map((r) => limitFor(r, req.maxMessageSize)));
  const sender = req.sender?.maxMailOutSize ?? null;
  return { recipients, sender, threshold: sender !== null ? Math.min(recipients, sender) : recipients };
}

/** The stream the body is stored through: our Received header first, CRLF, size and hop limits. */
function intakeStream(req: StoreRequest, queueId: string, now: number, limits: SizeLimits) {
  const { session } = req;
  const header = formatReceivedHeader({
    helo: session.helo,
    ip: session.ip,
    hostname: req.hostname,
    esmtp: session.esmtp,
    tls: session.tls,
    authenticated: session.authUser !== undefined,
    ...(session.authUser !== undefined ? { authUser: session.authUser } : {}),
    queueId,
    ...(req.recipients.length === 1 ? { recipient: req.recipients[0]!.original } : {}),
    date: new Date(now),
  });
  return new IntakeBodyStream({
    header,
    maxBytes: limits.threshold,
    maxHops: MAX_RECEIVED_HOPS,
    ...(req.headerHook ? { headerHook: req.headerHook } : {}),
    ...(req.authservId ? { authservId: req.authservId } : {}),
    headerLimits: req.headerLimits ?? NO_HEADER_LIMITS,
  });
}

/** 552: the sender's MaxMailOutSize when it was the limit, else the cluster's or a recipient's. */
function tooBig(req: StoreRequest, limits: SizeLimits): StoreFailure {
  if (req.sender && limits.sender !== null && limits.sender < limits.recipients) {
    return { ok: false, reason: 'too-big', reply: replies.mailOutSize(req.sender.account, limits.sender) };
  }
  const limited = req.recipients.find((r) => limitFor(r, req.maxMessageSize) === limits.recipients)!;
  const reply =
    limits.recipients >= req.maxMessageSize
      ? replies.messageTooBig(req.maxMessageSize)
      : replies.messageTooBigForRecipient(limited.original, limits.recipients);
  return { ok: false, reason: 'too-big', reply };
}

/** Why the put failed, as the client's answer: too big, a loop, the client gone, or storage. */
function storeFailure(
  req: StoreRequest,
  limits: SizeLimits,
  body: IntakeBodyStream,
  clientGone: Error | undefined,
  error: unknown,
  log: Logger,
): StoreFailure {
  const failure = body.failure;
  if (failure?.kind === 'too-big') return tooBig(req, limits);
  if (failure?.kind === 'header-limit')
    return { ok: false, reason: 'header-limit', reply: replies.headerTooBig(failure.limit, failure.max) };
  if (failure?.kind === 'loop')
    return { ok: false, reason: 'loop', reply: replies.loopDetected(failure.hops) };
  if (failure?.kind === 'refused') return { ok: false, reason: 'rejected', reply: failure.reply };
  if (clientGone) return { ok: false, reason: 'client-gone', reply: replies.localError(), error: clientGone };
  log.error({ event: 'intake.store_failed', err: error }, 'message body could not be stored');
  return { ok: false, reason: 'storage', reply: replies.localError(), error };
}

/**
 * Step 1: stream DATA through the intake stream into the MessageStore under the queue id.
 * Resolves with the ref only once the body is durable; on any failure nothing is stored
 * (MessageStore.put leaves nothing behind) and DATA is drained.
 */
export async function storeBody(
  deps: { readonly messages: MessageStore },
  req: StoreRequest,
  data: Readable,
  queueId: string,
  now: number,
  log: Logger,
): Promise<{ readonly ok: true; readonly ref: BodyRef; readonly messageId?: string } | StoreFailure> {
  const limits = sizeLimits(req);
  const body = intakeStream(req, queueId, now, limits);
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
  try {
    const ref = await deps.messages.put(queueId, body);
    const messageId = body.messageId;
    return { ok: true, ref, ...(messageId ? { messageId } : {}) };
  } catch (error) {
    drain(data, body);
    body.destroy();
    return storeFailure(req, limits, body, clientGone, error, log);
  } finally {
    data.off('error', onSourceError).off('close', onSourceClose);
  }
}
