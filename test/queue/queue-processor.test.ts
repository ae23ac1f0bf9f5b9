/**
 * The queue processor's lease extension for a hung delivery, driven step by step: the test owns
 * both the clock and the extension tick (no real timers race the assertions), counts the extend
 * calls through a wrapped queue port and reads the lease from the real embedded queue.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../core/ports/logger.ts';
import type { MailQueue } from '../../core/ports/mail-queue.ts';
import { type LeaseTicker, QueueProcessor } from '../../core/queue/queue-processor.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

/** A lease ticker ticked by hand; like setInterval it does nothing once stopped. */
function manualTicker() {
  const t = { everyMs: 0, stopped: false, started: 0, fn: () => {} };
  const ticker: LeaseTicker = (fn, everyMs) => {
    Object.assign(t, { fn, everyMs, started: t.started + 1 });
    return () => {
      t.stopped = true;
    };
  };
  return { t, ticker, tick: () => (t.stopped ? undefined : t.fn()) };
}

/** The queue, with every extend call's promise kept so the test can count and await them. */
function watchExtends<Q extends MailQueue>(queue: Q, calls: Promise<void>[]): Q {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'extend') {
        return (receipt: string, seconds: number) => {
          const call = target.extend(receipt, seconds);
          calls.push(call);
          return call;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function recordingLogger(events: string[]): Logger {
  const log: Logger = {
    debug: (f) => events.push(f.event),
    info: (f) => events.push(f.event),
    warn: (f) => events.push(f.event),
    error: (f) => events.push(f.event),
    child: () => log,
  };
  return log;
}

describe('queue processor', () => {
  it('extends a hung delivery until maxDeliverySeconds, then stops, so the job is received again', async () => {
    h = await startHarness();
    const { t, ticker, tick } = manualTicker();
    const extensions: Promise<void>[] = [];
    const events: string[] = [];
    let started!: () => void;
    const deliveryStarted = new Promise<void>((resolve) => (started = resolve));
    let endDelivery!: (err: Error) => void;
    // A backend that does not answer until the test lets it fail.
    const channel = {
      deliver: () => {
        started();
        return new Promise<never>((_, reject) => (endDelivery = reject));
      },
    };
    const deps = {
      ...h.deps,
      queue: watchExtends(h.storage.queue, extensions),
      channel,
      logger: recordingLogger(events),
    };
    const processor = new QueueProcessor(deps, {
      concurrency: 1,
      visibilitySeconds: 3,
      pollWaitMs: 50,
      maxDeliverySeconds: 5,
      leaseTicker: ticker,
    });
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'] });
    const start = h.clock.now(); // the test clock never moves on its own: the lease starts here
    const visibleAt = async () => (await h.storage.queue.get(job.id))?.visibleAt;
    processor.start();
    await deliveryStarted;
    expect(t).toMatchObject({ started: 1, everyMs: 1_000, stopped: false });
    expect(await visibleAt()).toBe(start + 3_000);

    // Within the limit every tick extends the lease from the clock's now.
    h.clock.set(start + 2_000);
    tick();
    await Promise.all(extensions);
    expect(extensions).toHaveLength(1);
    expect(await visibleAt()).toBe(start + 5_000);
    h.clock.set(start + 4_999);
    tick();
    await Promise.all(extensions);
    expect(extensions).toHaveLength(2);
    expect(await visibleAt()).toBe(start + 7_999);

    // At the limit the processor gives up: no extend, its ticker stops, and it logs why.
    h.clock.set(start + 5_000);
    tick();
    expect(t.stopped).toBe(true);
    expect(events).toContain('queue.delivery_too_long');
    tick();
    expect(extensions).toHaveLength(2);
    expect(await visibleAt()).toBe(start + 7_999);

    // The last lease runs out and the job is received again while the delivery still hangs.
    h.clock.set(start + 7_998);
    expect(await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 })).toEqual([]);
    h.clock.set(start + 7_999);
    const [again] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(again).toMatchObject({ job: { id: job.id }, receiveCount: 2 });

    // When the hung delivery finally fails, its stale lease cannot touch the job held anew.
    endDelivery(new Error('backend gave up'));
    await processor.stop();
    expect(await h.storage.queue.get(job.id)).toMatchObject({
      status: 'in-flight',
      visibleAt: start + 7_999 + 60_000,
    });
  });
});
