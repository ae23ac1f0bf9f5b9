/**
 * Per-destination accounting for direct MX delivery, per process: how many sessions a
 * destination domain has open (a cap; callers beyond it wait in FIFO order for a slot), and a
 * backoff after a destination failed as a whole (no MX host reachable or willing), so a dead
 * domain is not hammered by every queued message: while it backs off, callers are told so and
 * answer a temporary outcome without connecting. The backoff doubles with each consecutive
 * failure up to a maximum; one success clears it. Pure (time from the Clock port).
 */
import type { Clock } from '../ports/clock.ts';

export interface DestinationSettings {
  /** Sessions open at once to one destination domain. */
  readonly concurrency: number;
  /** The first backoff after a destination failed (ms); doubles per consecutive failure. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

interface State {
  active: number;
  readonly waiters: (() => void)[];
  failures: number;
  until: number;
  lastWhy: string;
}

export type Release = () => void;

export class Destinations {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly settings: DestinationSettings,
    private readonly clock: Clock,
  ) {}

  private state(domain: string): State {
    const key = domain.toLowerCase();
    let s = this.states.get(key);
    if (!s) {
      s = { active: 0, waiters: [], failures: 0, until: 0, lastWhy: '' };
      this.states.set(key, s);
    }
    return s;
  }

  /** While the destination backs off: until when and why; otherwise undefined. */
  backoff(domain: string): { readonly until: number; readonly why: string } | undefined {
    const s = this.states.get(domain.toLowerCase());
    if (!s || s.until <= this.clock.now()) return undefined;
    return { until: s.until, why: s.lastWhy };
  }

  /** The destination failed as a whole: back off (doubling per consecutive failure). */
  failed(domain: string, why: string): void {
    const s = this.state(domain);
    const ms = Math.min(this.settings.maxBackoffMs, this.settings.backoffMs * 2 ** Math.min(s.failures, 30));
    s.failures += 1;
    s.until = this.clock.now() + ms;
    s.lastWhy = why;
  }

  /** A session to the destination worked: no backoff. */
  succeeded(domain: string): void {
    const s = this.states.get(domain.toLowerCase());
    if (!s) return;
    s.failures = 0;
    s.until = 0;
  }

  /** Sessions open now to `domain`. */
  active(domain: string): number {
    return this.states.get(domain.toLowerCase())?.active ?? 0;
  }

  /** Wait for one of the destination's session slots; call the release once when done. */
  async acquire(domain: string): Promise<Release> {
    const s = this.state(domain);
    if (s.active >= this.settings.concurrency) {
      await new Promise<void>((resolve) => s.waiters.push(resolve));
    } else {
      s.active += 1;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = s.waiters.shift();
      // The slot passes straight to the next waiter: `active` stays the same.
      if (next) next();
      else s.active -= 1;
      // Forget an idle, healthy destination (one that failed is kept for its backoff).
      if (s.active === 0 && s.failures === 0) this.states.delete(domain.toLowerCase());
    };
  }
}
