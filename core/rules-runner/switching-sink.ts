/**
 * The generated-mail sink a backend uses when the cluster's generated-mail mode may change while
 * it runs: each submission asks `currentMode` (the cluster setting, cached briefly, else the
 * backend's STRATO_GENERATED_MAIL default) and hands the message to the queue sink or the SMTP
 * ("forward to frontends") sink. The SMTP sink is made on first use. A failed mode read falls back
 * to the default mode (logged by the caller's `currentMode`); sink faults propagate (the delivery
 * is retried).
 */
import type { GeneratedMailSink, GeneratedSubmission } from './generated-mail-sink.ts';

export type SinkMode = GeneratedMailSink['mode'];

export class SwitchingSink implements GeneratedMailSink {
  private smtp: GeneratedMailSink | undefined;
  private last: SinkMode;

  constructor(
    private readonly opts: {
      readonly currentMode: () => Promise<SinkMode>;
      readonly defaultMode: SinkMode;
      readonly queue: GeneratedMailSink;
      readonly makeSmtp: () => GeneratedMailSink;
    },
  ) {
    this.last = opts.defaultMode;
  }

  /** The mode of the latest submission (what `rules.generated` logs as `via`). */
  get mode(): SinkMode {
    return this.last;
  }

  async submit(message: GeneratedSubmission): Promise<void> {
    const mode = await this.opts.currentMode().catch(() => this.opts.defaultMode);
    this.last = mode;
    if (mode === 'queue') return this.opts.queue.submit(message);
    this.smtp ??= this.opts.makeSmtp();
    return this.smtp.submit(message);
  }

  /** The SMTP sink, if one was made (its pool must be closed at shutdown). */
  get smtpSink(): GeneratedMailSink | undefined {
    return this.smtp;
  }
}
