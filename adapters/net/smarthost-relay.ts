/**
 * OutboundRelay through an SMTP smarthost (nodemailer, pooled connections). Remote replies are
 * classified per recipient (4xx temporary, 5xx permanent) keeping the remote text; a failure with
 * no reply code (refused connection, timeout, TLS failure) is temporary for every recipient, and
 * so is a refused AUTH (a configuration problem: the mail stays queued instead of bouncing).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { delivered, outcomeFromReply, type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
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

function outcomeOf(err: NodemailerRcptError | undefined, fallback: string): RecipientOutcome {
  const reply = err?.response ? parseReply(err.response) : undefined;
  if (reply) return outcomeFromReply(reply);
  return temporary({ code: 451, enhanced: '4.4.1', text: `smarthost: ${fallback}` });
}

export class SmarthostRelay implements OutboundRelay {
  private readonly transport: Transporter;

  constructor(opts: SmarthostOptions) {
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      requireTLS: opts.requireTls ?? false,
      pool: true,
      maxConnections: opts.maxConnections ?? 5,
      name: opts.heloName ?? 'localhost',
      connectionTimeout: opts.timeoutMs ?? 30_000,
      greetingTimeout: opts.timeoutMs ?? 30_000,
      socketTimeout: opts.timeoutMs ?? 60_000,
      tls: { rejectUnauthorized: opts.rejectUnauthorized ?? true },
      ...(opts.user ? { auth: { user: opts.user, pass: opts.password ?? '' } } : {}),
    });
  }

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const out = new Map<string, RecipientOutcome>();
    try {
      const info = await this.transport.sendMail({
        envelope: { from: req.mailFrom, to: [...req.recipients] },
        raw: await req.openBody(),
        ...(req.envid || req.ret
          ? {
              dsn: {
                ...(req.envid ? { id: req.envid } : {}),
                return: req.ret === 'FULL' ? 'full' : 'headers',
              },
            }
          : {}),
      });
      // nodemailer reports recipients with the domain lower-cased: compare without case.
      const key = (address: string) => address.toLowerCase();
      const accepted = new Set((info.accepted as unknown[]).map((a) => key(String(a))));
      const rejected = (info as { rejectedErrors?: NodemailerRcptError[] }).rejectedErrors ?? [];
      for (const rcpt of req.recipients) {
        if (accepted.has(key(rcpt))) {
          out.set(rcpt, delivered(parseReply(String(info.response)) ?? undefined));
        } else {
          const own = rejected.find((e) => e.recipient !== undefined && key(e.recipient) === key(rcpt));
          out.set(rcpt, outcomeOf(own, 'recipient not accepted'));
        }
      }
    } catch (err) {
      const e = err as NodemailerRcptError & {
        rejectedErrors?: NodemailerRcptError[];
        message?: string;
        code?: string;
      };
      if (e.code === 'EAUTH') {
        const refused = temporary(replies.smarthostAuthRefused(e.response ?? e.message ?? String(err)));
        for (const rcpt of req.recipients) out.set(rcpt, refused);
        return out;
      }
      for (const rcpt of req.recipients) {
        const own = e.rejectedErrors?.find((x) => x.recipient?.toLowerCase() === rcpt.toLowerCase());
        out.set(rcpt, outcomeOf(own ?? e, e.message ?? String(err)));
      }
    }
    return out;
  }

  close(): void {
    this.transport.close();
  }
}
