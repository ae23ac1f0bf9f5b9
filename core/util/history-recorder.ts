/**
 * The one way processes write message history: `record()` stamps the time and this process's
 * role and id on a fact and puts it in a bounded buffer, returning at once; the buffer is written
 * in batches a moment later (or when it is full enough), one batch at a time. History is
 * best-effort (core/ports/message-history.ts): a failed write is logged as
 * `history.write_failed` and its events are dropped, and when the buffer is full new events are
 * dropped and counted (`history.dropped`), so a slow or broken history store never slows or
 * fails mail handling. `flush()` writes what is buffered (the Lambdas call it before they
 * return; processes on shutdown via `close()`); it never rejects.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import type { HistoryActor, HistoryEvent, HistoryFact, MessageHistory } from '../ports/message-history.ts';

export interface HistoryRecorderOptions {
  /** Events held before new ones are dropped. */
  readonly maxBuffered?: number;
  /** Events per append call. */
  readonly batchSize?: number;
  /** How long an event may wait for others to share its write. */
  readonly delayMs?: number;
}

export class HistoryRecorder {
  private buffer: HistoryEvent[] = [];
  private dropped = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly maxBuffered: number;
  private readonly batchSize: number;
  private readonly delayMs: number;

  constructor(
    private readonly history: MessageHistory,
    readonly actor: HistoryActor,
    private readonly clock: Clock,
    private readonly logger: Logger,
    opts: HistoryRecorderOptions = {},
  ) {
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    this.batchSize = opts.batchSize ?? 100;
    this.delayMs = opts.delayMs ?? history.batchDelayMs ?? 200;
  }

  /** Note one fact about message `queueId`; never throws, never waits. */
  record(queueId: string, fact: HistoryFact): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.buffer.push({ ...fact, queueId, at: this.clock.now(), by: this.actor });
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= this.startTimer();
  }

  /** Write everything recorded so far; resolves when it is written or its failure logged. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.buffer;
    this.buffer = [];
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped > 0) this.logger.warn({ event: 'history.dropped', events: dropped });
    if (events.length > 0) this.writing = this.writing.then(() => this.write(events));
    return this.writing;
  }

  close(): Promise<void> {
    return this.flush();
  }

  private startTimer(): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => void this.flush(), this.delayMs);
    // A pending history write must not keep a process alive.
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  private async write(events: readonly HistoryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += this.batchSize) {
      const batch = events.slice(i, i + this.batchSize);
      try {
        await this.history.append(batch);
      } catch (err) {
        this.logger.warn({
          event: 'history.write_failed',
          events: batch.length,
          queueId: batch[0]?.queueId,
          err: String(err),
        });
      }
    }
  }
}

/**
 * The accepted fact of a job just enqueued: envelope, size, source, client. `parent` names the
 * message it was made from (a rule's copy, a DSN) when that is another job.
 */
export function acceptedFact(job: QueueJob, parent?: string): HistoryFact {
  const { client } = job;
  return {
    kind: 'accepted',
    ...(job.messageId ? { messageId: job.messageId } : {}),
    mailFrom: job.envelope.mailFrom,
    recipients: job.envelope.recipients.map((r) => r.address),
    size: job.body.size,
    source: job.source,
    ...(client
      ? {
          client: {
            ip: client.ip,
            helo: client.helo,
            ...(client.authUser ? { authUser: client.authUser } : {}),
          },
          frontend: client.frontend,
        }
      : {}),
    ...(parent && parent !== job.id ? { parent } : {}),
  };
}
