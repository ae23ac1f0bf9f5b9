import { afterEach, describe, expect, it } from 'vitest';
import { QueueProcessor } from '../../core/queue/queue-processor.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('queue processor', () => {
  it('stops extending a hung delivery after maxDeliverySeconds, so the job becomes visible again', async () => {
    h = await startHarness();
    // A backend that never answers.
    const hung = { ...h.deps, channel: { deliver: () => new Promise<never>(() => {}) } };
    const processor = new QueueProcessor(hung, {
      concurrency: 1,
      visibilitySeconds: 3,
      pollWaitMs: 50,
      maxDeliverySeconds: 5,
    });
    const job = await h.enqueue({ from: 's@remote.example', to: ['alice@example.com'] });
    processor.start();
    await until(async () => (await h.storage.queue.get(job.id))?.status === 'in-flight');

    // Within the limit the lease keeps being extended from the (test) clock's now.
    h.clock.advance(2_000);
    const extendedTo = h.clock.now() + 3_000;
    await until(async () => (await h.storage.queue.get(job.id))?.visibleAt === extendedTo);

    // Past the limit extensions stop: the lease is no longer moved forward by later ticks...
    h.clock.advance(4_000);
    await new Promise((r) => setTimeout(r, 1_200)); // a tick past the limit: gives up
    const frozen = (await h.storage.queue.get(job.id))?.visibleAt;
    h.clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 1_200)); // would have extended to now + 3 s
    expect((await h.storage.queue.get(job.id))?.visibleAt).toBe(frozen);
    // ...so once it runs out, the job is receivable again although the delivery still hangs.
    h.clock.advance(10_000);
    expect((await h.storage.queue.get(job.id))?.status).toBe('ready');
  });
});
