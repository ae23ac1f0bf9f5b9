/**
 * The MailQueue contract's cases on SQS (fauxqs) + the DynamoDB index, in real time: SQS judges
 * visibility and delays by its own clock, so where the contract moves a TestClock these cases
 * wait 1-2 s with short visibilities instead. Where the AWS adapter differs by design (jobs on
 * the fast path are not indexed, so operators cannot see them) the case says so and checks the
 * documented behaviour. The contract suite itself cannot run here unchanged (see the report).
 */
import { describe, expect, it } from 'vitest';
import { LeaseLostError, QueueDelayError, QueueFullError } from '../../core/ports/errors.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { makeJob } from '../contract/helpers.ts';
import type { SqsMailQueue } from './sqs-mail-queue.ts';
import { sleep, sqsTestEnv } from './sqs-test-support.ts';

const env = sqsTestEnv();

async function receiveOne(queue: SqsMailQueue, visibilitySeconds = 30) {
  const got = await queue.receive({ max: 1, visibilitySeconds });
  expect(got).toHaveLength(1);
  return got[0]!;
}

describe('MailQueue contract cases on SQS, in real time', () => {
  it('delivers an enqueued job intact with receiveCount 1, then hides it while leased', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    const leased = await receiveOne(queue);
    expect(leased.job).toEqual(job);
    expect(leased.receiveCount).toBe(1);
    expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0 });
    // Differs by design: a job on the fast path is not indexed, so operators do not see it.
    expect(await queue.get(job.id)).toBeUndefined();
  });

  it('makes a job receivable again after visibility expires, with receiveCount + 1', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    const first = await receiveOne(queue, 1);
    expect(await queue.receive({ max: 1, visibilitySeconds: 1 })).toEqual([]);
    await sleep(1_100);
    const second = await receiveOne(queue, 30);
    expect(second.job.id).toBe(job.id);
    expect(second.receiveCount).toBe(2);
    expect(second.receipt).not.toBe(first.receipt);
  });

  it('treats the receipt of an earlier receive as stale', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    const first = await receiveOne(queue, 1);
    await sleep(1_100);
    const second = await receiveOne(queue, 30);
    await expect(queue.extend(first.receipt, 60)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(queue.reschedule(first.receipt, { ...job, attempts: 9 }, 0)).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await queue.ack(first.receipt); // no-op: the job stays with its current holder
    expect((await queue.depth()).inFlight).toBe(1);
    await queue.extend(second.receipt, 30);
    await queue.ack(second.receipt);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
    await expect(queue.extend(second.receipt, 60)).rejects.toBeInstanceOf(LeaseLostError);
    await queue.ack(second.receipt);
    await expect(queue.extend('not a receipt', 60)).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('extends a lease from the time of the call', async () => {
    const { queue } = await env.freshQueue();
    await queue.enqueue([makeJob()]);
    const leased = await receiveOne(queue, 2);
    await sleep(1_200);
    await queue.extend(leased.receipt, 2);
    await sleep(1_200); // 2.4 s after the receive: the first lease alone would have ended
    expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
    await sleep(1_300); // 2 s after the extend, with a margin for the extend's own round trip
    expect((await receiveOne(queue)).receiveCount).toBe(2);
  });

  it('ack removes the job for good', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    await queue.ack((await receiveOne(queue, 1)).receipt);
    await sleep(1_100);
    expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);
    expect(await queue.get(job.id)).toBeUndefined();
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
  });

  it('dead-letters a job after maxReceiveCount receives without an ack (and lists it)', async () => {
    const { queue } = await env.freshQueue({ maxReceiveCount: 2 });
    const job = makeJob();
    await queue.enqueue([job]);
    for (let i = 1; i <= queue.maxReceiveCount; i++) {
      expect((await receiveOne(queue, 1)).receiveCount).toBe(i);
      await sleep(1_100);
    }
    expect(await queue.receive({ max: 10, visibilitySeconds: 1 })).toEqual([]);
    const entry = await queue.get(job.id);
    expect(entry?.status).toBe('dead');
    expect(entry?.job).toEqual(job);
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 1 });
    expect((await queue.list({ status: 'dead' })).map((e) => e.job.id)).toEqual([job.id]);

    // releaseNow takes the copy out of the DLQ and starts over with a fresh receive count.
    expect(await queue.releaseNow(job.id)).toBe(true);
    expect((await queue.depth()).dead).toBe(0);
    const again = await receiveOne(queue);
    expect(again.job).toEqual(job);
    expect(again.receiveCount).toBe(1);
  });

  it('honours a delay and refuses one above 900 s', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job], { delaySeconds: 1 });
    expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
    expect((await queue.get(job.id))?.status).toBe('delayed'); // delayed enqueues are indexed
    expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 1, dead: 0 });
    await sleep(1_100);
    expect((await receiveOne(queue)).job.id).toBe(job.id);

    await expect(queue.enqueue([makeJob()], { delaySeconds: 901 })).rejects.toBeInstanceOf(QueueDelayError);
    await expect(queue.enqueue([makeJob()], { delaySeconds: -1 })).rejects.toBeInstanceOf(QueueDelayError);
    await queue.enqueue([makeJob()], { delaySeconds: 900 });
    expect((await queue.depth()).delayed).toBe(1);
  });

  it('reschedule replaces the job state, delays it and starts a fresh receive count', async () => {
    const { queue } = await env.freshQueue();
    const job = makeJob();
    await queue.enqueue([job]);
    await receiveOne(queue, 1); // a first lease that expires
    await sleep(1_100);
    const leased = await receiveOne(queue, 30);
    expect(leased.receiveCount).toBe(2);
    const now = Date.now();
    const updated: QueueJob = {
      ...leased.job,
      attempts: 1,
      notBefore: now + 3_600_000,
      envelope: {
        ...leased.job.envelope,
        recipients: leased.job.envelope.recipients.map((r, i) =>
          i === 0
            ? { ...r, state: 'delivered', attempts: 1, updatedAt: now }
            : { ...r, attempts: 1, lastReply: { code: 451, enhanced: '4.4.1', text: 'try later' } },
        ),
      },
    };
    await expect(queue.reschedule(leased.receipt, updated, 901)).rejects.toBeInstanceOf(QueueDelayError);
    await queue.reschedule(leased.receipt, updated, 1);
    const entry = await queue.get(job.id);
    expect(entry?.status).toBe('delayed');
    expect(entry?.job).toEqual(updated);
    expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
    await sleep(1_100);
    const again = await receiveOne(queue);
    expect(again.job).toEqual(updated);
    expect(again.receiveCount).toBe(1);
    await expect(queue.ack(leased.receipt)).resolves.toBeUndefined();
    expect((await queue.get(job.id))?.status).toBe('in-flight');
  });

  it('receives at most `max` jobs and every job once per lease', async () => {
    const { queue } = await env.freshQueue();
    const jobs = Array.from({ length: 5 }, () => makeJob());
    await queue.enqueue(jobs);
    const a = await queue.receive({ max: 2, visibilitySeconds: 30 });
    const b = await queue.receive({ max: 10, visibilitySeconds: 30 });
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
    expect([...a, ...b].map((l) => l.job.id).sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('makes every one of many concurrent enqueues durable, in batches of ten', async () => {
    const { queue, reopen } = await env.freshQueue();
    const jobs = Array.from({ length: 300 }, () => makeJob());
    await Promise.all(jobs.map((job) => queue.enqueue([job])));
    expect(queue.batchRequests.sends).toBe(30);
    const view = reopen();
    expect((await view.depth()).ready).toBe(300);
    const seen = new Set<string>();
    for (;;) {
      const got = await view.receive({ max: 50, visibilitySeconds: 60 });
      if (got.length === 0) break;
      for (const l of got) {
        expect(seen.has(l.job.id)).toBe(false);
        seen.add(l.job.id);
        expect(l.job).toEqual(jobs.find((j) => j.id === l.job.id));
      }
    }
    expect([...seen].sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('long-polls: waits for a job enqueued during the wait, or returns empty at the deadline', async () => {
    const { queue } = await env.freshQueue();
    let t0 = performance.now();
    expect(await queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 150 })).toEqual([]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140); // SQS waits whole seconds: 1 s here
    const job = makeJob();
    t0 = performance.now();
    const waiting = queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 5_000 });
    setTimeout(() => void queue.enqueue([job]), 100);
    expect((await waiting).map((l) => l.job.id)).toEqual([job.id]);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('refuses enqueues beyond maxQueued with QueueFullError', async () => {
    const { queue: q } = await env.freshQueue({ maxQueued: 2 });
    await q.enqueue([makeJob(), makeJob()]);
    const err = await q.enqueue([makeJob()]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).limit).toBe(2);
    expect((await q.depth()).ready).toBe(2);
    const [l] = await q.receive({ max: 1, visibilitySeconds: 30 });
    await q.ack(l!.receipt);
    await q.enqueue([makeJob()]);
    expect((await q.depth()).ready).toBe(2);
  });
});
