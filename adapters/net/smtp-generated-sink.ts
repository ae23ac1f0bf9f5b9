/**
 * "Forward to frontends" mode (the cluster model's `*` forwarding server): mail made by rules is
 * submitted over SMTP to the frontends (nodemailer, pooled, plain SMTP on the loopback or the
 * cluster network) and is processed there again like any received message. A refused recipient
 * (5xx) is logged and dropped; a temporary refusal or a transport failure rejects, so the
 * delivery that generated it is retried. The frontends must let the backends relay (trusted network).
 */
import { Readable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../../core/ports/logger.ts';
import type { GeneratedMailSink, GeneratedSubmission } from '../../core/rules-runner/generated-mail-sink.ts';

interface RcptError {
  recipient?: string;
  response?: string;
  responseCode?: number;
}

export class SmtpGeneratedSink implements GeneratedMailSink {
  readonly mode = 'smtp' as const;
  private readonly transport: Transporter;

  constructor(
    opts: { host: string; port: number; heloName: string; timeoutMs?: number },
    private readonly logger: Logger,
  ) {
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 4,
      name: opts.heloName,
      connectionTimeout: opts.timeoutMs ?? 30_000,
      greetingTimeout: opts.timeoutMs ?? 30_000,
      socketTimeout: opts.timeoutMs ?? 60_000,
    });
  }

  async submit(m: GeneratedSubmission): Promise<void> {
    let refused: RcptError[];
    try {
      const body = await m.openBody();
      const info = await this.transport.sendMail({
        envelope: { from: m.mailFrom || false, to: [...m.recipients] },
        raw: body instanceof Readable ? body : Readable.from(body),
      });
      refused = (info as { rejectedErrors?: RcptError[] }).rejectedErrors ?? [];
    } catch (err) {
      const e = err as RcptError & { rejectedErrors?: RcptError[] };
      // Every recipient refused permanently: nothing to retry. Anything else: retry the delivery.
      if (!e.rejectedErrors?.length || e.rejectedErrors.some((r) => (r.responseCode ?? 451) < 500)) throw err;
      refused = e.rejectedErrors;
    }
    if (refused.some((r) => (r.responseCode ?? 451) < 500)) {
      throw new Error(`frontend deferred ${refused.map((r) => r.recipient).join(', ')}`);
    }
    for (const r of refused) {
      this.logger.warn({ event: 'rules.generated_refused', id: m.id, rcpt: r.recipient, reply: r.response });
    }
  }

  close(): void {
    this.transport.close();
  }
}
