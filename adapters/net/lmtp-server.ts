/**
 * The backend's delivery-channel endpoint: an LMTP server (RFC 2033, smtp-server in LMTP mode)
 * that holds each message in memory (up to SPOOL_MEMORY_BYTES; larger ones go to a temp file),
 * runs the core delivery use case for its recipients
 * and answers one reply per recipient. The queue id travels as the MAIL FROM parameter
 * XDELIVERY=<id> (the mailbox idempotency key), the message source as XSOURCE=<source> (the
 * rules test it). An outcome's typed account fact travels in its reply (lmtp-account-facts.ts).
 * A spool failure answers 451 for every recipient. Once its DeliveryGate is closed (graceful
 * stop) it takes no new transaction: MAIL FROM, and a DATA whose delivery has not started, get
 * the temporary "backend stopping" reply with its typed moving fact. Only queue processors may
 * deliver: AUTH PLAIN as CHANNEL_USER with the cluster's channel secret is required before MAIL
 * (530 5.7.0 without it, 535 5.7.8 for a wrong one; compared in constant time).
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  SMTPServer,
  type SMTPServerDataResult,
  type SMTPServerDataStream,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';
import { type DeliverDeps, deliverToAccounts } from '../../core/delivery/deliver-to-accounts.ts';
import type { DeliveryGate } from '../../core/delivery/delivery-gate.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import { type Reply, temporary } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import { isQueueId, newQueueId } from '../../core/util/ids.ts';
import { lmtpReplyFor } from './lmtp-account-facts.ts';
import { CHANNEL_USER } from './lmtp-channel-auth.ts';
import { smtpError, smtpReply } from './smtp-errors.ts';

export interface LmtpServerOptions {
  readonly spoolDir: string;
  readonly hostname: string;
  readonly maxMessageSize: number;
  /** How long close() waits for open sessions (e.g. pooled channel connections). */
  readonly closeTimeoutMs?: number;
  /** Closed on a graceful stop: new transactions are then refused as "backend stopping". */
  readonly gate?: DeliveryGate;
  /** The cluster's channel secret: the password of AUTH PLAIN, required before MAIL. */
  readonly secret: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time check of AUTH credentials (digests, so unequal lengths take the same time). */
function authCheck(secret: string): NonNullable<SMTPServerOptions['onAuth']> {
  const expected = digest(`${CHANNEL_USER}\0${secret}`);
  return (auth, _session, callback) => {
    const given = digest(`${auth.username ?? ''}\0${auth.password ?? ''}`);
    if (auth.method === 'PLAIN' && timingSafeEqual(given, expected))
      return callback(null, { user: CHANNEL_USER });
    callback(smtpError(replies.authFailed()));
  };
}

const SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

function messageSource(value: unknown): MessageSource | undefined {
  return SOURCES.find((s) => s === value);
}

/** smtp-server's LMTP mode wants an Error for a refused recipient and a string for a 250. */
function lmtpResponse(reply: Reply): Error | string {
  return reply.code < 300 ? `${reply.enhanced} ${reply.text}` : smtpError(reply);
}

type DataCallback = Parameters<NonNullable<SMTPServerOptions['onData']>>[2];

/** The transaction as delivery needs it; a missing or malformed XDELIVERY gets a fresh id. */
function transactionOf(session: SMTPServerSession) {
  // mailFrom is `false` before MAIL FROM (never here, after DATA), else the parsed address.
  const from = session.envelope.mailFrom || undefined;
  const args: Record<string, unknown> = from?.args || {};
  const given = typeof args.XDELIVERY === 'string' ? args.XDELIVERY : undefined;
  return {
    deliveryId: given && isQueueId(given) ? given : newQueueId(),
    source: messageSource(args.XSOURCE),
    mailFrom: from ? from.address : '',
    recipients: session.envelope.rcptTo.map((r) => r.address),
  };
}

type LmtpTransaction = ReturnType<typeof transactionOf>;

/** Messages up to this size are held in memory; larger ones are spooled to a temp file. */
export const SPOOL_MEMORY_BYTES = 256 * 1024;

/** A received message: its size, a way to read it (again), and the temp file to remove, if any. */
interface Spooled {
  readonly size: number;
  openBody(): Promise<Readable>;
  readonly file?: string;
}

/**
 * Read the DATA stream: kept in memory while it stays within SPOOL_MEMORY_BYTES (no file, no
 * syscalls for the common small message), otherwise written on to the temp file `path`.
 */
async function spool(stream: SMTPServerDataStream, path: string): Promise<Spooled> {
  const chunks: Buffer[] = [];
  let size = 0;
  const source = stream[Symbol.asyncIterator]();
  for (;;) {
    const next = await source.next();
    if (next.done) {
      const data = Buffer.concat(chunks, size);
      return { size, openBody: async () => Readable.from([data], { objectMode: false }) };
    }
    chunks.push(next.value as Buffer);
    size += (next.value as Buffer).length;
    if (size > SPOOL_MEMORY_BYTES) break;
  }
  const counted = { size };
  async function* rest(): AsyncGenerator<Buffer> {
    yield* chunks.splice(0);
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      counted.size += (next.value as Buffer).length;
      yield next.value as Buffer;
    }
  }
  await pipeline(Readable.from(rest()), createWriteStream(path));
  return {
    size: counted.size,
    file: path,
    // Open eagerly: a lazily opened stream could fail after the spool file is removed.
    openBody: async () => (await open(path, 'r')).createReadStream(),
  };
}

/** Run the delivery use case on the spooled message; one LMTP response per recipient, in order. */
async function deliverSpooled(
  deps: DeliverDeps,
  tx: LmtpTransaction,
  spooled: Spooled,
): Promise<SMTPServerDataResult[]> {
  const outcomes = await deliverToAccounts(deps, {
    deliveryId: tx.deliveryId,
    mailFrom: tx.mailFrom,
    recipients: tx.recipients,
    size: spooled.size,
    ...(tx.source ? { source: tx.source } : {}),
    openBody: spooled.openBody,
  });
  return tx.recipients.map((r) => lmtpResponse(lmtpReplyFor(outcomes.get(r)!)));
}

/** The reply a stopping backend gives to a new transaction, its moving fact in the LMTP token. */
function stoppingReply(backendId: string): Reply {
  return lmtpReplyFor(
    temporary(replies.backendStopping(backendId), { state: 'moving', why: 'backend-stopping' }),
  );
}

/** DATA after the gate closed: drain the message and refuse every recipient as "backend stopping". */
function refuseStopping(
  deps: DeliverDeps,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  callback: DataCallback,
): void {
  const refusal = lmtpResponse(stoppingReply(deps.backendId));
  stream.on('end', () =>
    callback(
      null,
      session.envelope.rcptTo.map(() => refusal),
    ),
  );
  stream.resume();
}

/** DATA: spool (memory or temp file), deliver from it, answer; a spool failure answers 451; a file is removed. */
function receiveMessage(
  deps: DeliverDeps,
  spoolDir: string,
  stream: SMTPServerDataStream,
  session: SMTPServerSession,
  callback: DataCallback,
  gate?: DeliveryGate,
): void {
  if (gate && !gate.enter()) {
    refuseStopping(deps, stream, session, callback);
    return;
  }
  const tx = transactionOf(session);
  // Unique per transaction: a pooled connection may carry the same delivery id again at once.
  const path = join(spoolDir, `${tx.deliveryId}-${randomBytes(6).toString('hex')}`);
  let file: string | undefined = path;
  spool(stream, path)
    .then(async (spooled) => {
      file = spooled.file;
      if (stream.sizeExceeded) return callback(null, []);
      callback(null, await deliverSpooled(deps, tx, spooled));
    })
    .catch((err) => {
      deps.logger.error({ event: 'backend.spool_failed', queueId: tx.deliveryId, err: String(err) });
      stream.resume();
      callback(
        smtpError({ code: 451, enhanced: '4.3.0', text: 'Local error in processing, try again later' }),
      );
    })
    .finally(() => {
      gate?.leave();
      return file ? rm(file, { force: true }) : undefined;
    });
}

export function createLmtpServer(deps: DeliverDeps, opts: LmtpServerOptions): SMTPServer {
  const options: SMTPServerOptions = {
    lmtp: true,
    name: opts.hostname,
    banner: `${opts.hostname} Strato LMTP backend ${deps.backendId}`,
    disabledCommands: ['STARTTLS'],
    // The channel runs inside the cluster network, without TLS: the shared secret is what guards it.
    authMethods: ['PLAIN'],
    allowInsecureAuth: true,
    authOptional: false,
    authRequiredMessage: smtpReply(replies.authRequired()).message,
    onAuth: authCheck(opts.secret),
    disableReverseLookup: true,
    size: opts.maxMessageSize,
    logger: false,
    closeTimeout: opts.closeTimeoutMs ?? 30_000,
    onMailFrom: (_address, _session, callback) =>
      opts.gate?.closed ? callback(smtpError(stoppingReply(deps.backendId))) : callback(),
    onData: (stream, session, callback) =>
      receiveMessage(deps, opts.spoolDir, stream, session, callback, opts.gate),
  };
  return new SMTPServer(options);
}

export async function ensureSpoolDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
