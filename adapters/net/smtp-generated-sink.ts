/**
 * "Forward to frontends" mode (the cluster model's `*` forwarding server): mail made by rules is
 * submitted over SMTP to the frontends (plain SMTP on the loopback or the cluster network, one
 * connection per message) and is processed there like any received message — the cluster rules
 * run once, at that frontend. The submission names the message's derived id in the MAIL FROM
 * parameter XGENID (core/intake/generated-id.ts); the frontend enqueues it under that id, so a
 * repeated submission after a backend crash is answered 250 and sent once. The frontends must
 * trust the backends' network (STRATO_TRUSTED_NETWORKS): they relay for it and accept XGENID
 * only from it. A refused recipient (5xx) is logged and dropped; any other refusal, a temporary
 * one or a transport failure rejects, so the delivery that generated the message is retried.
 */

import { GENERATED_ID_PARAM } from '../../core/intake/generated-id.ts';
import type { Reply } from '../../core/mail/outcome.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { GeneratedMailSink, GeneratedSubmission } from '../../core/rules-runner/generated-mail-sink.ts';
import { SmtpLineClient } from './smtp-line-client.ts';

export class SmtpGeneratedSink implements GeneratedMailSink {
  readonly mode = 'smtp' as const;

  constructor(
    private readonly opts: { host: string; port: number; heloName: string; timeoutMs?: number },
    private readonly logger: Logger,
  ) {}

  async submit(m: GeneratedSubmission): Promise<void> {
    const client = await SmtpLineClient.open(this.opts.host, this.opts.port, this.opts.timeoutMs ?? 60_000);
    try {
      await this.transaction(client, m);
    } finally {
      client.close();
    }
  }

  private async transaction(client: SmtpLineClient, m: GeneratedSubmission): Promise<void> {
    expect('greeting', await client.read(), 220);
    expect('EHLO', await client.command(`EHLO ${this.opts.heloName}`), 250);
    const params = [
      `${GENERATED_ID_PARAM}=${m.id}`,
      ...(m.smtputf8 ? ['SMTPUTF8'] : []),
      ...(m.bodyType ? [`BODY=${m.bodyType}`] : []),
    ];
    expect('MAIL FROM', await client.command(`MAIL FROM:<${m.mailFrom}> ${params.join(' ')}`), 250);
    let accepted = 0;
    for (const rcpt of m.recipients) {
      const reply = await client.command(`RCPT TO:<${rcpt}>`);
      if (reply.code === 250 || reply.code === 251) accepted++;
      else if (reply.code >= 500) {
        this.logger.warn({ event: 'rules.generated_refused', queueId: m.id, rcpt, reply: text(reply) });
      } else throw new Error(`frontend deferred <${rcpt}>: ${text(reply)}`);
    }
    if (accepted === 0) return;
    expect('DATA', await client.command('DATA'), 354);
    const final = client.read();
    // Observed below; if sending the body fails first, its rejection must not go unhandled.
    final.catch(() => {});
    await client.sendBody(await m.openBody());
    expect('end of DATA', await final, 250);
  }

  close(): void {}
}

function text(reply: Reply): string {
  return `${reply.code} ${reply.enhanced} ${reply.text}`.trim();
}

function expect(step: string, reply: Reply, code: number): void {
  if (reply.code !== code) throw new Error(`frontend answered ${text(reply)} to ${step}`);
}
