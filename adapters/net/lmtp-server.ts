/**
 * The backend's delivery-channel endpoint: an LMTP server (RFC 2033, smtp-server in LMTP mode)
 * that spools each message to a temp file, runs the core delivery use case for its recipients
 * and answers one reply per recipient. The queue id travels as the MAIL FROM parameter
 * XDELIVERY=<id> (the mailbox idempotency key), the message source as XSOURCE=<source> (the
 * rules test it). An outcome's typed account fact travels in its reply (lmtp-account-facts.ts).
 * A spool failure answers 451 for every recipient.
 */

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { type DeliverDeps, deliverToAccounts } from '../../core/delivery/deliver-to-accounts.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import type { Reply } from '../../core/mail/outcome.ts';
import { isQueueId, newQueueId } from '../../core/util/ids.ts';
import { lmtpReplyFor } from './lmtp-account-facts.ts';
import { smtpError } from './smtp-errors.ts';

export interface LmtpServerOptions {
  readonly spoolDir: string;
  readonly hostname: string;
  readonly maxMessageSize: number;
  /** How long close() waits for open sessions (e.g. pooled channel connections). */
  readonly closeTimeoutMs?: number;
}

const SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

function messageSource(value: unknown): MessageSource | undefined {
  return SOURCES.find((s) => s === value);
}

/** smtp-server's LMTP mode wants an Error for a refused recipient and a string for a 250. */
function lmtpResponse(reply: Reply): Error | string {
  return reply.code < 300 ? `${reply.enhanced} ${reply.text}` : smtpError(reply);
}

export function createLmtpServer(deps: DeliverDeps, opts: LmtpServerOptions): SMTPServer {
  const options: SMTPServerOptions = {
    lmtp: true,
    name: opts.hostname,
    banner: `${opts.hostname} Strato LMTP backend ${deps.backendId}`,
    disabledCommands: ['AUTH', 'STARTTLS'],
    authOptional: true,
    disableReverseLookup: true,
    size: opts.maxMessageSize,
    logger: false,
    closeTimeout: opts.closeTimeoutMs ?? 30_000,
    onData(stream, session, callback) {
      // mailFrom is `false` before MAIL FROM (never here, after DATA), else the parsed address.
      const from = session.envelope.mailFrom || undefined;
      const args: Record<string, unknown> = from?.args || {};
      const given = typeof args.XDELIVERY === 'string' ? args.XDELIVERY : undefined;
      const deliveryId = given && isQueueId(given) ? given : newQueueId();
      const source = messageSource(args.XSOURCE);
      // Unique per transaction: a pooled connection may carry the same delivery id again at once.
      const spool = join(opts.spoolDir, `${deliveryId}-${randomBytes(6).toString('hex')}`);
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(null, chunk);
        },
      });
      const recipients = session.envelope.rcptTo.map((r) => r.address);
      pipeline(stream, counter, createWriteStream(spool))
        .then(async () => {
          if ((stream as { sizeExceeded?: boolean }).sizeExceeded) return callback(null, []);
          const outcomes = await deliverToAccounts(deps, {
            deliveryId,
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients,
            size,
            ...(source ? { source } : {}),
            // Open eagerly: a lazily opened stream could fail after the spool file is removed.
            openBody: async () => (await open(spool, 'r')).createReadStream(),
          });
          callback(
            null,
            recipients.map((r) => lmtpResponse(lmtpReplyFor(outcomes.get(r)!))) as unknown as string,
          );
        })
        .catch((err) => {
          deps.logger.error({ event: 'backend.spool_failed', deliveryId, err: String(err) });
          stream.resume();
          callback(
            smtpError({ code: 451, enhanced: '4.3.0', text: 'Local error in processing, try again later' }),
          );
        })
        .finally(() => rm(spool, { force: true }));
    },
  };
  return new SMTPServer(options);
}

export async function ensureSpoolDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
