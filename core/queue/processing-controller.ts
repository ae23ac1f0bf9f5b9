/**
 * The frontend's queue-processing switch: every few seconds it reads the cluster's
 * queue-processing settings, decides whether THIS frontend processes the queue (all, none, or
 * named by its id or its group; an unset setting falls back to the process's environment
 * default), starts or stops its QueueProcessor and applies the concurrency and the retry schedule
 * (stored retry and lifetime over the environment's schedule), then heartbeats the
 * frontend registry with what it is doing. Stopping takes nothing new and finishes the jobs held
 * (`queue.processing_stopping`, then `queue.processing_disabled` once they are done);
 * `queue.processing_enabled` when it starts. A failed settings read keeps the current state and
 * logs `queue.settings_read_failed`; a failed heartbeat logs `frontend.heartbeat_failed`. Ticks
 * never overlap and never throw.
 */
import type { Clock } from '../ports/clock.ts';
import type { ClusterControl, ProcessingSelector, QueueSettings } from '../ports/cluster-control.ts';
import type { Logger } from '../ports/logger.ts';
import { type RetrySchedule, scheduleChanged, withClusterSettings } from './retry-schedule.ts';

/** What the controller drives (QueueProcessor satisfies it). */
export interface ProcessingSwitch {
  start(): void;
  /** Take nothing new; resolves once the jobs in flight are done. */
  stop(): Promise<void>;
  setConcurrency(n: number): void;
  /** Optional: a switch without it keeps its own schedule. */
  setSchedule?(schedule: RetrySchedule): void;
  readonly activeJobs: number;
}

/** Who this frontend is, as its heartbeat says. */
export interface FrontendIdentity {
  readonly id: string;
  readonly group: string;
  readonly address: string;
  readonly version: string;
  readonly startedAt: number;
}

export interface ProcessingControllerDeps {
  readonly control: Pick<ClusterControl, 'getQueueSettings' | 'heartbeatFrontend' | 'deregisterFrontend'>;
  readonly processor: ProcessingSwitch;
  readonly self: FrontendIdentity;
  /** The environment defaults (STRATO_QUEUE_PROCESSING, STRATO_QUEUE_CONCURRENCY). */
  readonly defaults: {
    readonly processing: boolean;
    readonly concurrency: number;
    /** false: never process, whatever the cluster setting says (STRATO_QUEUE_PROCESSING_ALLOWED). */
    readonly allowed?: boolean;
    /** The environment's retry schedule (STRATO_RETRY_*, STRATO_QUEUE_LIFETIME_SECONDS). */
    readonly schedule?: RetrySchedule;
  };
  /** SMTP sessions open now. */
  readonly sessions: () => number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long one heartbeat keeps the frontend live. */
  readonly heartbeatTtlMs: number;
}

export interface ProcessingDecision {
  readonly on: boolean;
  /** Why, for the log line and `strato cluster frontends`. */
  readonly reason: string;
}

/** Does the selector pick this frontend? Unset means the environment default decides. */
export function decideProcessing(
  selector: ProcessingSelector | undefined,
  envDefault: boolean,
  self: { readonly id: string; readonly group: string },
  allowed = true,
): ProcessingDecision {
  if (!allowed)
    return { on: false, reason: 'this deployment processes the queue elsewhere (not allowed here)' };
  if (selector === undefined)
    return { on: envDefault, reason: `environment default (${envDefault ? 'on' : 'off'})` };
  if (selector === 'all') return { on: true, reason: 'cluster setting: all' };
  if (selector === 'none') return { on: false, reason: 'cluster setting: none' };
  if (selector.includes(self.id))
    return { on: true, reason: `cluster setting names this frontend (${self.id})` };
  if (selector.includes(self.group))
    return { on: true, reason: `cluster setting names its group (${self.group})` };
  return { on: false, reason: `cluster setting names neither ${self.id} nor its group ${self.group}` };
}

export class ProcessingController {
  private processing = false;
  private concurrency: number;
  private schedule: RetrySchedule | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  /** Set while a switched-off processor finishes its jobs (heartbeats go on meanwhile). */
  private draining: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly deps: ProcessingControllerDeps) {
    this.concurrency = deps.defaults.concurrency;
    this.schedule = deps.defaults.schedule;
    this.log = deps.logger.child({ component: 'processing-controller' });
  }

  /** Whether the queue processor takes jobs now. */
  get isProcessing(): boolean {
    return this.processing;
  }

  /** Decide once now, then every `intervalMs` until stop(). */
  async start(intervalMs: number): Promise<void> {
    await this.tick();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.ticking = this.tick().finally(loop);
      }, intervalMs);
    };
    loop();
  }

  /** Stop deciding, stop the processor (finishing its jobs) and deregister. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    if (this.processing) this.switchOff('frontend stopping');
    await this.draining;
    await this.deps.control
      .deregisterFrontend(this.deps.self.id)
      .catch((err) => this.log.warn({ event: 'frontend.deregister_failed', err: String(err) }));
  }

  /** One round: read the settings, apply them, heartbeat. Never throws. */
  async tick(): Promise<void> {
    let settings: QueueSettings | undefined;
    try {
      settings = await this.deps.control.getQueueSettings();
    } catch (err) {
      // Keep doing what we do: a storage hiccup must not switch processing on or off.
      this.log.warn({ event: 'queue.settings_read_failed', err: String(err) });
    }
    if (settings && !this.stopped) await this.apply(settings);
    await this.heartbeat();
  }

  private async apply(settings: QueueSettings): Promise<void> {
    const concurrency = settings.concurrency ?? this.deps.defaults.concurrency;
    if (concurrency !== this.concurrency) {
      this.deps.processor.setConcurrency(concurrency);
      this.log.info({ event: 'queue.concurrency_changed', from: this.concurrency, to: concurrency });
      this.concurrency = concurrency;
    }
    this.applySchedule(settings);
    const decision = decideProcessing(
      settings.processing,
      this.deps.defaults.processing,
      this.deps.self,
      this.deps.defaults.allowed,
    );
    // Switched on again while still draining: start on a later tick, once the drain is done.
    if (decision.on && !this.processing && !this.draining) {
      this.deps.processor.setConcurrency(this.concurrency);
      this.deps.processor.start();
      this.processing = true;
      this.log.info({
        event: 'queue.processing_enabled',
        reason: decision.reason,
        concurrency: this.concurrency,
      });
    } else if (!decision.on && this.processing) {
      this.switchOff(decision.reason);
    }
  }

  /** The stored retry and lifetime over the environment's schedule, given to the processor when it changes. */
  private applySchedule(settings: QueueSettings): void {
    const { schedule: base } = this.deps.defaults;
    if (!base || !this.schedule || !this.deps.processor.setSchedule) return;
    const next = withClusterSettings(base, settings);
    if (!scheduleChanged(next, this.schedule)) return;
    this.deps.processor.setSchedule(next);
    this.log.info({
      event: 'queue.retry_schedule_changed',
      firstRetrySeconds: next.firstRetrySeconds,
      maxRetrySeconds: next.maxRetrySeconds,
      lifetimeSeconds: next.lifetimeSeconds,
    });
    this.schedule = next;
  }

  /** Take nothing new now; `draining` resolves once the jobs held are done (never rejects). */
  private switchOff(reason: string): void {
    this.log.info({
      event: 'queue.processing_stopping',
      reason,
      jobsInFlight: this.deps.processor.activeJobs,
    });
    this.processing = false;
    this.draining = this.deps.processor
      .stop()
      .then(
        () => this.log.info({ event: 'queue.processing_disabled', reason }),
        (err) => this.log.error({ event: 'queue.processing_stop_failed', reason, err: String(err) }),
      )
      .finally(() => {
        this.draining = undefined;
      });
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const { self } = this.deps;
    try {
      await this.deps.control.heartbeatFrontend(
        {
          ...self,
          sessions: this.deps.sessions(),
          processing: this.processing,
          jobsInFlight: this.deps.processor.activeJobs,
          concurrency: this.concurrency,
        },
        this.deps.heartbeatTtlMs,
      );
    } catch (err) {
      this.log.warn({ event: 'frontend.heartbeat_failed', err: String(err) });
    }
  }
}
