/**
 * OutboundRelay through an SMTP smarthost (nodemailer, pooled connections). Remote replies are
 * classified per recipient (4xx temporary, 5xx permanent) keeping the remote text; a failure with
 * no reply code (refused connection, timeout, TLS failure) is temporary for every recipient, and
 * so is a refused AUTH (a configuration problem: the mail stays queued instead of bouncing).
 * Every body passes through LongLineFolder on the way out (lines over 998 octets broken with
 * CRLF SPACE, RFC 5322 §2.1.1). A message that needs SMTPUTF8 (the job says so) goes over a
 * connection of its own whose EHLO is checked first: a next hop that does not offer SMTPUTF8
 * gets nothing, and every recipient fails permanently with 553 5.6.7 (RFC 6531 §3.2), which the
 * queue turns into a DSN like any other permanent outcome.
 */
import { PassThrough, type Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { LongLineFolder } from '../../core/mail/line-folding.ts';
import {
  delivered,
  outcomeFromReply,
  permanent,
  type RecipientOutcome,
  temporary,
} from '../../core/mail/outcome.ts';
import { parseReply, replies } from '../../core/mail/smtp-replies.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';

export interface SmarthostOptions {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (465); otherwise STARTTLS when offered. */
  readonly secure?: boolean;
  readonly requireTls?: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly rejectUnauthorized?: boolean;
  readonly heloName?: string;
  readonly timeoutMs?: number;
  readonly maxConnections?: number;
}

interface NodemailerRcptError {
  recipient?: string;
  response?: string;
  responseCode?: number;
}

interface SendInfo {
  accepted: unknown[];
  response: unknown;
  rejectedErrors?: NodemailerRcptError[];
}

type Outcomes = Map<string, RecipientOutcome>;

function outcomeOf(err: NodemailerRcptError | undefined, fallback: string): RecipientOutcome {
  const reply = err?.response ? parseReply(err.response) : undefined;
  if (reply) return outcomeFromReply(reply);
  return temporary({ code: 451, enhanced: '4.4.1', text: `smarthost: ${fallback}` });
}

/** nodemailer reports recipients with the domain lower-cased: compare without case. */
const key = (address: string) => address.toLowerCase();

/** Each recipient's outcome from a finished transaction. */
function outcomesOfInfo(info: SendInfo, recipients: readonly string[]): Outcomes {
  const out: Outcomes = new Map();
  const accepted = new Set(info.accepted.map((a) => key(String(a))));
  const rejected = info.rejectedErrors ?? [];
  for (const rcpt of recipients) {
    if (accepted.has(key(rcpt))) {
      out.set(rcpt, delivered(parseReply(String(info.response)) ?? undefined));
    } else {
      const own = rejected.find((e) => e.recipient !== undefined && key(e.recipient) === key(rcpt));
      out.set(rcpt, outcomeOf(own, 'recipient not accepted'));
    }
  }
  return out;
}

/** Each recipient's outcome from a failed transaction (its own refusal, else the error's). */
function outcomesOfError(err: unknown, recipients: readonly string[]): Outcomes {
  const e = err as NodemailerRcptError & {
    rejectedErrors?: NodemailerRcptError[];
    message?: string;
    code?: string;
  };
  const out: Outcomes = new Map();
  if (e.code === 'EAUTH') {
    // A refused AUTH is our configuration, not the recipients': defer, never bounce.
    const refused = temporary(replies.smarthostAuthRefused(e.response ?? e.message ?? String(err)));
    for (const rcpt of recipients) out.set(rcpt, refused);
    return out;
  }
  for (const rcpt of recipients) {
    const own = e.rejectedErrors?.find((x) => x.recipient !== undefined && key(x.recipient) === key(rcpt));
    out.set(rcpt, outcomeOf(own ?? e, e.message ?? String(err)));
  }
  return out;
}

/** The body as it leaves: lines over 998 octets folded. */
async function foldedBody(req: RelayRequest): Promise<Readable> {
  const body = await req.openBody();
  const folder = new LongLineFolder();
  body.on('error', (err) => folder.destroy(err));
  // A folded stream closed before its end (a send given up) closes the body and its file too.
  folder.on('close', () => body.destroy());
  return body.pipe(folder);
}

/** The body opened again, as a stream the pool can take at once (it asks synchronously). */
function reopened(req: RelayRequest): Readable {
  const out = new PassThrough();
  foldedBody(req).then(
    (body) => {
      body.on('error', (err) => out.destroy(err));
      body.pipe(out);
    },
    (err: Error) => out.destroy(err),
  );
  return out;
}

const dsnOf = (req: RelayRequest) =>
  req.envid || req.ret
    ? { ...(req.envid ? { id: req.envid } : {}), return: req.ret === 'FULL' ? 'full' : 'headers' }
    : undefined;

/** What nodemailer's SMTP pool reads of a message (smtp-pool/pool-resource.js). */
interface PooledMail {
  data: { dsn?: { id?: string; return: string } };
  message: {
    getEnvelope(): { from: string; to: string[] };
    messageId(): string;
    getHeader(name: string): string;
    createReadStream(): Readable;
  };
}

/** nodemailer's SMTPPool as the transport of a pooled Transporter. */
interface SmtpPool {
  send(mail: PooledMail, callback: (err: Error | null, info?: unknown) => void): unknown;
}

export class SmarthostRelay implements OutboundRelay {
  private readonly transport: Transporter;
  private readonly pool: SmtpPool;

  constructor(private readonly opts: SmarthostOptions) {
    this.transport = nodemailer.createTransport({
      ...this.connectionOptions(),
      pool: true,
      maxConnections: opts.maxConnections ?? 5,
      ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
    });
    this.pool = (this.transport as unknown as { transporter: SmtpPool }).transporter;
    if (typeof this.pool?.send !== 'function') throw new Error('nodemailer changed: no pooled transport');
  }

  private connectionOptions() {
    const { opts } = this;
    return {
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      requireTLS: opts.requireTls ?? false,
      name: opts.heloName ?? 'localhost',
      connectionTimeout: opts.timeoutMs ?? 30_000,
      greetingTimeout: opts.timeoutMs ?? 30_000,
      socketTimeout: opts.timeoutMs ?? 60_000,
      tls: { rejectUnauthorized: opts.rejectUnauthorized ?? true },
    };
  }

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    if (req.smtputf8) return this.sendSmtpUtf8(req);
    try {
      const info = await this.sendPooled(req, await foldedBody(req));
      return outcomesOfInfo(info, req.recipients);
    } catch (err) {
      return outcomesOfError(err, req.recipients);
    }
  }

  /**
   * Hand the message straight to the connection pool (the transport's `send`), skipping the
   * Mailer and its MailComposer: a relayed message is sent as it is, so building a MIME tree,
   * parsing its addresses and making a Message-ID for it (what `sendMail({ raw })` does first)
   * is work thrown away. The pool asks the message for these four things. It asks for the stream
   * again to retry on a fresh connection when a reused one was closed under it before the body
   * was sent; that retry gets the body opened afresh.
   */
  private sendPooled(req: RelayRequest, body: Readable): Promise<SendInfo> {
    const dsn = dsnOf(req);
    // Every stream handed out (the body, then any reopened copy); a stream the pool dropped
    // unread (a retry, a failed connection) is closed once the send is over, with its file.
    const given: Readable[] = [];
    const stream = (): Readable => {
      const next = given.length === 0 ? body : reopened(req);
      given.push(next);
      return next;
    };
    const mail: PooledMail = {
      data: dsn ? { dsn } : {},
      message: {
        getEnvelope: () => ({ from: req.mailFrom, to: [...req.recipients] }),
        messageId: () => '',
        getHeader: () => '',
        createReadStream: stream,
      },
    };
    return new Promise<SendInfo>((resolve, reject) => {
      this.pool.send(mail, (err, info) => (err ? reject(err) : resolve(info as SendInfo)));
    }).finally(() => {
      if (given.length === 0) body.destroy();
      for (const s of given) s.destroy();
    });
  }

  /** An SMTPUTF8 message: its own connection, sent only when the next hop's EHLO offers SMTPUTF8. */
  private async sendSmtpUtf8(req: RelayRequest): Promise<Outcomes> {
    const conn = new SMTPConnection(this.connectionOptions());
    try {
      await new Promise<void>((resolve, reject) => {
        conn.on('error', () => {}); // failures reach us through the callbacks
        conn.once('error', reject);
        conn.connect((err) => (err ? reject(err) : resolve()));
      });
      if (this.opts.user) {
        const credentials = { user: this.opts.user, pass: this.opts.password ?? '' };
        await new Promise<void>((resolve, reject) =>
          conn.login({ credentials }, (err) => (err ? reject(err) : resolve())),
        );
      }
      // nodemailer keeps the EHLO keywords it understood here (SMTPUTF8 among them).
      const offered = (conn as unknown as { _supportedExtensions?: string[] })._supportedExtensions ?? [];
      if (!offered.includes('SMTPUTF8')) {
        const reply = replies.nextHopLacksSmtpUtf8(this.opts.host);
        return new Map(req.recipients.map((r) => [r, permanent(reply)]));
      }
      const dsn = dsnOf(req);
      const body = await foldedBody(req);
      const info = await new Promise<SendInfo>((resolve, reject) =>
        conn.send(
          { from: req.mailFrom, to: [...req.recipients], ...(dsn ? { dsn } : {}) },
          body,
          (err, sent) => (err ? reject(err) : resolve(sent as unknown as SendInfo)),
        ),
      );
      return outcomesOfInfo(info, req.recipients);
    } catch (err) {
      return outcomesOfError(err, req.recipients);
    } finally {
      conn.quit();
    }
  }

  close(): void {
    this.transport.close();
  }
}
