/**
 * OutboundRelay through Amazon SES v2: SendEmail with the stored message as raw content, the
 * envelope recipients as Destination.ToAddresses (at most 50 per call) and the envelope sender as
 * FromEmailAddress (a configured bounce address or MAILER-DAEMON@<hostname> for <>). SES answers
 * for the whole call, so every recipient of a call gets the same outcome. Never throws:
 *
 *   SES answer                                            outcome
 *   accepted                                              delivered 250 2.0.0 (SES MessageId)
 *   TooManyRequests, LimitExceeded, other throttling      temporary 451 4.4.5
 *   SendingPaused                                         temporary 451 4.3.2
 *   NotFound (configuration set), HTTP 401/403            temporary 451 4.3.5 (our configuration)
 *   HTTP 5xx                                              temporary 451 4.4.0
 *   no HTTP answer (refused, reset, timeout)              temporary 451 4.4.1
 *   MessageRejected                                       permanent 554 5.7.1
 *   MailFromDomainNotVerified                             permanent 550 5.7.1
 *   AccountSuspended                                      permanent 554 5.3.2
 *   BadRequest, any other HTTP 4xx                        permanent 554 5.5.4
 *   body larger than maxMessageBytes (SES v2: 30 MiB raw) permanent 552 5.3.4 (nothing sent)
 *   body cannot be read                                   temporary 451 4.3.0
 *
 * With `isSendingDomain` set, a message whose header From is not one of our sending domains
 * (forwarded or redirected mail) has its From rewritten first (core/outbound/foreign-from.ts: From
 * the forwarding account, Reply-To and X-Original-From the original), since SES refuses a From
 * that is not a verified identity.
 *
 * Reply texts carry the SDK's error name and message (one line, ASCII, at most 200 characters).
 */
import type { Readable } from 'node:stream';
import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  delivered,
  permanent,
  type RecipientOutcome,
  type Reply,
  temporary,
} from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import { rewriteForeignFrom } from '../../core/outbound/foreign-from.ts';
import { SES_MAX_RAW_BYTES } from '../../core/outbound/ses-limits.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';

export interface SesRelayOptions {
  readonly ses: SESv2Client;
  /** Names MAILER-DAEMON@<hostname> as the sender of bounces when no bounceAddress is set. */
  readonly hostname: string;
  /** FromEmailAddress for messages from the null sender <> (a verified SES identity). */
  readonly bounceAddress?: string;
  readonly configurationSetName?: string;
  /** Our sending domains (hosted, with an SES identity); set = rewrite a foreign header From. */
  readonly isSendingDomain?: (domain: string) => Promise<boolean>;
  readonly logger?: Logger;
  /** SES's raw message limit; default SES_MAX_RAW_BYTES (v2: 40 MB after base64 = 30 MiB raw). */
  readonly maxMessageBytes?: number;
}

/** SES takes at most 50 recipients per message. */
const MAX_RECIPIENTS = 50;

export class SesOutboundRelay implements OutboundRelay {
  private readonly maxBytes: number;

  constructor(private readonly opts: SesRelayOptions) {
    this.maxBytes = opts.maxMessageBytes ?? SES_MAX_RAW_BYTES;
  }

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const out = new Map<string, RecipientOutcome>();
    const all = (outcome: RecipientOutcome) => {
      for (const rcpt of req.recipients) out.set(rcpt, outcome);
      return out;
    };
    if (req.recipients.length === 0) return out;
    let raw: Buffer | undefined;
    try {
      raw = await readAtMost(await this.open(req), this.maxBytes);
    } catch (err) {
      return all(
        temporary({
          ...replies.localError(),
          text: clean(`SES relay: cannot read the message: ${describe(err)}`),
        }),
      );
    }
    if (!raw) return all(permanent(replies.messageTooBig(this.maxBytes)));
    const from = req.mailFrom || this.fallbackSender();
    const chunks: string[][] = [];
    for (let i = 0; i < req.recipients.length; i += MAX_RECIPIENTS) {
      chunks.push(req.recipients.slice(i, i + MAX_RECIPIENTS));
    }
    await Promise.all(
      chunks.map(async (rcpts) => {
        let outcome: RecipientOutcome;
        try {
          const sent = await this.opts.ses.send(
            new SendEmailCommand({
              FromEmailAddress: from,
              Destination: { ToAddresses: rcpts },
              Content: { Raw: { Data: raw } },
              ...(this.opts.configurationSetName
                ? { ConfigurationSetName: this.opts.configurationSetName }
                : {}),
            }),
          );
          outcome = delivered({
            code: 250,
            enhanced: '2.0.0',
            text: clean(`Ok: accepted by SES as ${sent.MessageId ?? '?'}`),
          });
        } catch (err) {
          outcome = sesErrorOutcome(err);
        }
        for (const rcpt of rcpts) out.set(rcpt, outcome);
      }),
    );
    return out;
  }

  private fallbackSender(): string {
    return this.opts.bounceAddress || `MAILER-DAEMON@${this.opts.hostname}`;
  }

  /** The body as SES gets it: with a foreign From rewritten when isSendingDomain is set. */
  private async open(req: RelayRequest): Promise<Readable> {
    const body = await req.openBody();
    const isSendingDomain = this.opts.isSendingDomain;
    if (!isSendingDomain) return body;
    const { stream, rewritten } = await rewriteForeignFrom(body, req.mailFrom, {
      isSendingDomain,
      fallbackSender: this.fallbackSender(),
    });
    if (rewritten) {
      this.opts.logger?.info({
        event: 'relay.ses_from_rewritten',
        queueId: req.jobId,
        originalFrom: rewritten.originalFrom,
        sender: rewritten.sender,
      });
    }
    return stream;
  }
}

/** The outcome for an error of SendEmail (the table in the module header). */
export function sesErrorOutcome(err: unknown): RecipientOutcome {
  const e = (err ?? {}) as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: { throttling?: boolean };
  };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const reply = (code: number, enhanced: string): Reply => ({
    code,
    enhanced,
    text: clean(`SES: ${describe(err)}`),
  });
  switch (name) {
    case 'MessageRejected':
      return permanent(reply(554, '5.7.1'));
    case 'MailFromDomainNotVerifiedException':
      return permanent(reply(550, '5.7.1'));
    case 'AccountSuspendedException':
      return permanent(reply(554, '5.3.2'));
    case 'BadRequestException':
      return permanent(reply(554, '5.5.4'));
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return temporary(reply(451, '4.4.5'));
    case 'SendingPausedException':
      return temporary(reply(451, '4.3.2'));
    case 'NotFoundException':
      return temporary(reply(451, '4.3.5'));
  }
  if (e.$retryable?.throttling || status === 429 || /Throttl/i.test(name))
    return temporary(reply(451, '4.4.5'));
  if (status === undefined) return temporary(reply(451, '4.4.1'));
  if (status >= 500) return temporary(reply(451, '4.4.0'));
  if (status === 401 || status === 403) return temporary(reply(451, '4.3.5'));
  if (status >= 400) return permanent(reply(554, '5.5.4'));
  return temporary(reply(451, '4.4.0'));
}

/** The whole stream, or undefined (and the stream destroyed) once it passes `max` bytes. */
async function readAtMost(stream: Readable, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > max) {
      stream.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

function describe(err: unknown): string {
  if (err instanceof Error)
    return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** One printable ASCII line of at most 200 characters (it ends up in a DSN's Diagnostic-Code). */
function clean(text: string): string {
  return text
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
