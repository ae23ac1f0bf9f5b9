/**
 * A Clock tests can set and move. Adapters read time only through the Clock port, so a suite can
 * expire a visibility lease or an account lease by advancing this clock instead of sleeping.
 * It never moves on its own; real timers (long-poll waits) are unaffected.
 */
import type { Clock } from '../../core/ports/clock.ts';

export class TestClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
