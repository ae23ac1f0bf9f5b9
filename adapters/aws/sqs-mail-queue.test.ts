/**
 * The MailQueue contract on SQS (fauxqs) + the DynamoDB index, in real time: SQS judges leases
 * and delays by its own clock, so the contract sleeps and keeps a margin from every boundary.
 * Capabilities where the AWS adapter differs by design: jobs on the fast path are not indexed,
 * so operators do not see fresh jobs, and SQS's message counts include a released job's old
 * copy. Plus what only this adapter has: enqueues and acks batched ten to a request. The index,
 * stale copies, recovery and the DLQ sweep are tested in sqs-mail-queue-index.test.ts.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../core/ports/clock.ts';
import { makeJob } from '../contract/helpers.ts';
import { mailQueueContract } from '../contract/mail-queue.contract.ts';
import { sleep, sqsTestEnv } from './sqs-test-support.ts';

const env = sqsTestEnv();

mailQueueContract(
  'SqsMailQueue',
  {
    // Boundary checks stay 1 s away: a local emulator answers within a few ms when idle, but on
    // a busy 2-core machine (two test files at a time, or a second suite beside this one) a
    // request can wait hundreds of ms. The margin is paid once per boundary, not per request.
    time: { real: true, marginMs: 1000 },
    // First-attempt jobs never touch the index (the fast path): operators see a job once it was
    // deferred, delayed, dead or is a DSN.
    operatorSeesFreshJobs: false,
    // SQS cannot change a waiting message: a release sends a new copy, the old one stays counted.
    depthCountsReplacedCopies: true,
  },
  async (opts) => {
    // maxReceiveCount 3 (the support's default): the dead-letter case stays short, and its last
    // receive takes the indexed "last chance" path before the DLQ.
    const fresh = await env.freshQueue({ maxQueued: opts?.maxQueued ?? 0 });
    return {
      queue: fresh.queue,
      now: () => systemClock.now(),
      elapse: sleep,
      reopen: async () => fresh.reopen(),
      cleanup: fresh.cleanup,
    };
  },
);

describe('SqsMailQueue batching', () => {
  it('sends concurrent enqueues ten to a request, and deletes concurrent acks together', async () => {
    const { queue, cleanup } = await env.freshQueue();
    onTestFinished(cleanup);
    const jobs = Array.from({ length: 300 }, () => makeJob());
    await Promise.all(jobs.map((job) => queue.enqueue([job])));
    expect(queue.batchRequests.sends).toBe(30);
    const got = await queue.receive({ max: 10, visibilitySeconds: 30 });
    expect(got).toHaveLength(10);
    await Promise.all(got.map((l) => queue.ack(l.receipt)));
    expect(queue.batchRequests.deletes).toBe(1);
    expect((await queue.depth()).ready).toBe(290);
  });

  it('lets acks of different moments share one delete (they linger up to DELETE_LINGER_MS)', async () => {
    const { queue, cleanup } = await env.freshQueue();
    onTestFinished(cleanup);
    await Promise.all(Array.from({ length: 3 }, () => queue.enqueue([makeJob()])));
    const got = await queue.receive({ max: 3, visibilitySeconds: 30 });
    expect(got).toHaveLength(3);
    // Each ack in its own event-loop turn, as processors finish their jobs one after another.
    const acks: Promise<void>[] = [];
    for (const l of got) {
      acks.push(queue.ack(l.receipt));
      await new Promise((r) => setImmediate(r));
    }
    expect(queue.batchRequests.deletes).toBe(0);
    await Promise.all(acks);
    expect(queue.batchRequests.deletes).toBe(1);
    const depth = await queue.depth();
    expect(depth.ready + depth.inFlight).toBe(0);
  });
});
