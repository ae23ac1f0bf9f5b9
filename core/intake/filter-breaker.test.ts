import { describe, expect, it } from 'vitest';
import { FilterBreaker } from './filter-breaker.ts';

function setup(failures = 3, coolDownMs = 1000) {
  let now = 0;
  const events: string[] = [];
  const log = (o: { event?: string }) => events.push(String(o.event));
  const logger = { info: log, warn: log } as never;
  const breaker = new FilterBreaker({ failures, coolDownMs }, { now: () => now }, logger);
  return { breaker, events, advance: (ms: number) => (now += ms) };
}

describe('FilterBreaker', () => {
  it('opens after N consecutive failures, for the cool-down only', () => {
    const { breaker, events, advance } = setup();
    expect(breaker.failure()).toBe(false);
    expect(breaker.failure()).toBe(false);
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.failure()).toBe(true); // the trip: counted as ContentFilter{Outcome=tripped}
    expect(breaker.isOpen()).toBe(true);
    expect(events).toEqual(['filter.breaker_open']);
    advance(999);
    expect(breaker.isOpen()).toBe(true);
    advance(1);
    expect(breaker.isOpen()).toBe(false);
  });

  it('a success resets the count and closes an open breaker (logged once)', () => {
    const { breaker, events, advance } = setup(2);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.isOpen()).toBe(false);
    breaker.failure();
    expect(breaker.isOpen()).toBe(true);
    advance(1000);
    breaker.success();
    expect(events).toEqual(['filter.breaker_open', 'filter.breaker_closed']);
  });

  it('a failed trial after the cool-down opens it again at once', () => {
    const { breaker, advance } = setup(3);
    for (let i = 0; i < 3; i++) breaker.failure();
    advance(1000);
    expect(breaker.isOpen()).toBe(false);
    breaker.failure();
    expect(breaker.isOpen()).toBe(true);
  });

  it('0 failures = never opens', () => {
    const { breaker } = setup(0);
    for (let i = 0; i < 10; i++) breaker.failure();
    expect(breaker.isOpen()).toBe(false);
  });
});
