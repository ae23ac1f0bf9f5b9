/**
 * The queue-processing loop ("Remote Queue Processing"): leases jobs from the shared queue up to
 * a concurrency limit, extends each lease while its delivery runs, and hands it to processJob.
 * A job whose processing throws is left alone: its lease runs out and it is received again
 * (counted toward the dead-letter limit). `stop()` stops leasing and waits for running jobs; the
 * processor may be started again afterwards, and its concurrency and retry schedule changed while
 * it runs (the cluster's queue-processing settings switch them at runtime).
 */
import type { Logger } from '../ports/logger.ts';
import type { DeadLetterSource, LeasedJob } from '../ports/mail-queue.ts';
import { type ProcessorDeps, processJob } from './process-job.ts';
import { startDeadLetterSweep } from './report-dead-letters.ts';
import type { RetrySchedule } from './retry-schedule.ts';

export interface QueueProcessorOptions {
  readonly concurrency: number;
  readonly visibilitySeconds: number;
  /** Long-poll wait per receive when the queue is empty. */
  readonly pollWaitMs: number;
  /**
   * Longest a delivery may hold its job (default 10 minutes): after this the lease is no longer
   * extended, so a hung delivery cannot pin a job; it becomes visible and is retried elsewhere
   * (idempotent mailbox appends absorb a late success of the hung one).
   */
  readonly maxDeliverySeconds?: number;
  /** Runs the lease-extension tick; default setInterval. Tests pass one they tick by hand. */
  readonly leaseTicker?: LeaseTicker;
  /**
   * Report dead-lettered jobs (log event + one failed DSN each, see report-dead-letters.ts) every
   * `everyMs` while the processor runs; without it dead jobs are not reported by this processor.
   */
  readonly deadLetters?: { readonly source: DeadLetterSource; readonly everyMs: number };
}

/** Calls `tick` every `everyMs` until the returned function is called. */
export type LeaseTicker = (tick: () => void, everyMs: number) => () => void;

const intervalTicker: LeaseTicker = (tick, everyMs) => {
  const timer = setInterval(tick, everyMs);
  return () => clearInterval(timer);
};

export class QueueProcessor {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  private limit: number;
  /** Wakes the loop while it waits for a free slot (concurrency raised, or stop). */
  private wake: (() => void) | undefined;
  private stopSweep: (() => void) | undefined;

  constructor(
    private deps: ProcessorDeps,
    private readonly opts: QueueProcessorOptions,
  ) {
    this.log = deps.logger.child({ component: 'queue-processor' });
    this.limit = opts.concurrency;
  }

  /** Jobs worked on at once from now on; running jobs above a lowered limit finish normally. */
  setConcurrency(n: number): void {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`concurrency must be a positive integer, got ${n}`);
    this.limit = n;
    this.wake?.();
  }

  /** The retry schedule of jobs processed from now on (a job already running keeps the one it started with). */
  setSchedule(schedule: RetrySchedule): void {
    this.deps = { ...this.deps, schedule };
  }

  get schedule(): RetrySchedule {
    return this.deps.schedule;
  }

  get concurrency(): number {
    return this.limit;
  }

  /** True between start() and stop(). */
  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
    const dl = this.opts.deadLetters;
    if (dl)
      this.stopSweep = startDeadLetterSweep(
        { ...this.deps, source: dl.source, logger: this.log },
        dl.everyMs,
      );
  }

  /** Stop leasing new jobs and wait for the running ones to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopSweep?.();
    this.stopSweep = undefined;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  get activeJobs(): number {
    return this.inFlight.size;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.limit - this.inFlight.size;
      if (free <= 0) {
        await Promise.race([...this.inFlight, new Promise<void>((r) => (this.wake = r))]);
        this.wake = undefined;
        continue;
      }
      let leased: LeasedJob[];
      try {
        leased = await this.deps.queue.receive({
          max: Math.min(free, 10),
          visibilitySeconds: this.opts.visibilitySeconds,
          waitMs: this.opts.pollWaitMs,
        });
      } catch (err) {
        this.log.error({ event: 'queue.receive_failed', err: String(err) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const job of leased) {
        const task = this.handle(job).finally(() => this.inFlight.delete(task));
        this.inFlight.add(task);
      }
    }
  }

  private async handle(leased: LeasedJob): Promise<void> {
    // Keep the lease while delivery runs, so a slow backend does not make the job visible again.
    const every = Math.max(1, this.opts.visibilitySeconds / 3) * 1000;
    const visibilityMs = this.opts.visibilitySeconds * 1000;
    // Our lease ends at `leaseEnd` unless an extend succeeds; a failed extend means it is gone.
    let leaseEnd = this.deps.clock.now() + visibilityMs;
    let lost = false;
    const giveUpAt = this.deps.clock.now() + (this.opts.maxDeliverySeconds ?? 600) * 1000;
    const stopTicking = (this.opts.leaseTicker ?? intervalTicker)(() => {
      const asked = this.deps.clock.now();
      if (asked >= giveUpAt) {
        stopTicking();
        lost = true;
        this.log.warn({ event: 'queue.delivery_too_long', queueId: leased.job.id });
        return;
      }
      this.deps.queue.extend(leased.receipt, this.opts.visibilitySeconds).then(
        () => {
          leaseEnd = asked + visibilityMs;
        },
        (err) => {
          lost = true;
          this.log.warn({ event: 'queue.extend_failed', queueId: leased.job.id, err: String(err) });
        },
      );
    }, every);
    const leaseHeld = () => !lost && this.deps.clock.now() < leaseEnd;
    try {
      await processJob(this.deps, leased, { leaseHeld });
    } catch (err) {
      this.log.error({
        event: 'queue.process_error',
        queueId: leased.job.id,
        receiveCount: leased.receiveCount,
        err: String(err),
      });
    } finally {
      stopTicking();
    }
  }
}
