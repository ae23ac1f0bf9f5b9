/**
 * Circuit breaker of the content filter: after `failures` consecutive failed scans it opens for
 * `coolDownMs` — scans are skipped (the fallback applies at once, no timeout waited for) — then
 * lets the next scan through as a trial: a success closes it, a failure opens it again. Logs
 * `filter.breaker_open` / `filter.breaker_closed`. Per process; never throws.
 */
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';

export interface BreakerSettings {
  /** Consecutive failures that open the breaker; 0 = never open. */
  readonly failures: number;
  readonly coolDownMs: number;
}

export class FilterBreaker {
  private consecutive = 0;
  private openUntil: number | undefined;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** True while open: the caller skips the filter. */
  isOpen(): boolean {
    return this.openUntil !== undefined && this.clock.now() < this.openUntil;
  }

  success(): void {
    if (this.openUntil !== undefined) {
      this.logger.info({ event: 'filter.breaker_closed' }, 'content filter answers again');
    }
    this.consecutive = 0;
    this.openUntil = undefined;
  }

  /** Count a failure; true when this one opened the breaker. */
  failure(): boolean {
    this.consecutive += 1;
    const { failures, coolDownMs } = this.settings;
    // A failed trial after a cool-down opens it again straight away.
    const trial = this.openUntil !== undefined;
    if (failures === 0 || (!trial && this.consecutive < failures)) return false;
    this.openUntil = this.clock.now() + coolDownMs;
    this.logger.warn(
      { event: 'filter.breaker_open', failures: this.consecutive, coolDownMs },
      'content filter skipped for the cool-down',
    );
    return true;
  }
}
