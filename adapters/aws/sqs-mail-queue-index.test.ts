/**
 * The SQS mail queue's index, beyond the MailQueue contract (sqs-mail-queue.test.ts runs that,
 * operator cases included): an extended lease kept in the index, what the fast path costs, DSN
 * id dedupe, stale copies, recovery when a reschedule's SQS send fails after its index write,
 * and removing a dead job from the DLQ.
 */
import { describe, expect, it } from 'vitest';
import { makeJob } from '../contract/helpers.ts';
import type { SqsMailQueue } from './sqs-mail-queue.ts';
import { sleep, sqsTestEnv } from './sqs-test-support.ts';

const env = sqsTestEnv();

async function receiveOne(queue: SqsMailQueue, visibilitySeconds = 30) {
  const got = await queue.receive({ max: 1, visibilitySeconds });
  expect(got).toHaveLength(1);
  return got[0]!;
}

describe('SqsMailQueue operator access (indexed jobs)', () => {
  it('keeps an indexed lease in flight for operators while it is extended', async () => {
    const { queue } = await env.freshQueue();
    const dsn = makeJob({ source: 'DSN' });
    await queue.enqueue([dsn]);
    const leased = await receiveOne(queue, 1);
    await queue.extend(leased.receipt, 5);
    await sleep(1_100);
    expect((await queue.get(dsn.id))?.status).toBe('in-flight');
    expect(await queue.remove(dsn.id)).toBe(false);
    await queue.ack(leased.receipt);
    expect(await queue.get(dsn.id)).toBeUndefined();
  });
});

describe('SqsMailQueue costs and recovery', () => {
  it('never touches the index on the fast path, and batches sends and deletes', async () => {
    const { queue } = await env.freshQueue();
    env.sent.length = 0;
    const jobs = Array.from({ length: 10 }, () => makeJob());
    await Promise.all(jobs.map((j) => queue.enqueue([j])));
    const got = await queue.receive({ max: 10, visibilitySeconds: 30 });
    expect(got).toHaveLength(10);
    await Promise.all(got.map((l) => queue.ack(l.receipt)));
    expect(env.sent).toEqual(['SQS.SendMessageBatch', 'SQS.ReceiveMessage', 'SQS.DeleteMessageBatch']);
  });

  it('enqueues a DSN id once: a repeat is dropped, also after delivery', async () => {
    const { queue } = await env.freshQueue();
    const dsn = makeJob({ source: 'DSN' });
    await queue.enqueue([dsn]);
    // A repeat before the first copy was received sends it again (it may never have been sent);
    // only one copy of a generation is ever leased, the other is deleted at receive.
    await queue.enqueue([{ ...dsn, attempts: 5 }]);
    const got = await queue.receive({ max: 10, visibilitySeconds: 30 });
    expect(got.map((l) => l.job)).toEqual([dsn]);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0, held: 0 });
    await queue.ack(got[0]!.receipt);
    await queue.enqueue([dsn]);
    expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
  });

  it('puts the index back when a reschedule cannot send its copy', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    const leased = await receiveOne(queue, 1);
    env.failNext('SQS.SendMessageBatch');
    await expect(queue.reschedule(leased.receipt, { ...job, attempts: 1 }, 0)).rejects.toThrow('on purpose');
    expect(await queue.get(job.id)).toBeUndefined();
    await sleep(1_100);
    const again = await receiveOne(queue);
    expect(again).toMatchObject({ job, receiveCount: 2 });
  });

  it('completes a reschedule cut off after its index write when the old copy comes back', async () => {
    const { queue } = await env.freshQueue();
    const dsn = makeJob({ source: 'DSN' }); // an indexed job: its copies are always checked
    await queue.enqueue([dsn]);
    const leased = await receiveOne(queue, 1);
    const next = { ...dsn, attempts: 1 };
    // The send fails and so does putting the index back: as if the process died in between.
    env.failNext('SQS.SendMessageBatch');
    env.failNext('DynamoDB.PutItem');
    await expect(queue.reschedule(leased.receipt, next, 0)).rejects.toThrow('on purpose');
    expect((await queue.get(dsn.id))?.job).toEqual(next);
    await sleep(1_100);
    // The old copy returns, is recognised as the one replaced, and brings the new state along.
    const got = await queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 2_000 });
    expect(got.map((l) => [l.job, l.receiveCount])).toEqual([[next, 1]]);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0, held: 0 });
  });

  it('removes a dead job from the dead-letter queue', async () => {
    const { queue } = await env.freshQueue({ maxReceiveCount: 1 });
    const job = makeJob();
    await queue.enqueue([job]);
    await receiveOne(queue, 1);
    await sleep(1_100);
    expect(await queue.receive({ max: 1, visibilitySeconds: 1 })).toEqual([]);
    expect((await queue.get(job.id))?.status).toBe('dead');
    expect(await queue.remove(job.id)).toBe(true);
    expect(await queue.get(job.id)).toBeUndefined();
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
  });
});
