import { describe, expect, it } from 'vitest';
import { TestClock } from '../../adapters/contract/test-clock.ts';
import { Destinations } from './destinations.ts';

describe('Destinations', () => {
  it('caps sessions per domain and hands a freed slot to the next waiter in order', async () => {
    const d = new Destinations({ concurrency: 2, backoffMs: 1000, maxBackoffMs: 8000 }, new TestClock());
    const r1 = await d.acquire('a.test');
    const r2 = await d.acquire('A.test');
    const order: number[] = [];
    const w3 = d.acquire('a.test').then((r) => {
      order.push(3);
      return r;
    });
    const w4 = d.acquire('a.test').then((r) => {
      order.push(4);
      return r;
    });
    const other = await d.acquire('b.test'); // another domain is not held up
    expect(d.active('a.test')).toBe(2);
    r1();
    r1(); // a second release of the same slot does nothing
    const r3 = await w3;
    expect(order).toEqual([3]);
    expect(d.active('a.test')).toBe(2);
    r2();
    (await w4)();
    r3();
    other();
    expect(d.active('a.test')).toBe(0);
  });

  it('backs off after failures, doubling up to the maximum, and clears on success', () => {
    const clock = new TestClock();
    const d = new Destinations({ concurrency: 1, backoffMs: 1000, maxBackoffMs: 3000 }, clock);
    expect(d.backoff('dead.test')).toBeUndefined();
    d.failed('dead.test', 'refused');
    expect(d.backoff('dead.test')).toEqual({ until: clock.now() + 1000, why: 'refused' });
    clock.advance(1000);
    expect(d.backoff('dead.test')).toBeUndefined();
    d.failed('dead.test', 'refused');
    expect(d.backoff('dead.test')?.until).toBe(clock.now() + 2000);
    d.failed('dead.test', 'refused');
    expect(d.backoff('dead.test')?.until).toBe(clock.now() + 3000);
    d.succeeded('dead.test');
    expect(d.backoff('dead.test')).toBeUndefined();
    d.failed('dead.test', 'again');
    expect(d.backoff('dead.test')?.until).toBe(clock.now() + 1000);
  });
});
