/**
 * MailQueue contract: the SQS-shaped semantics every queue adapter must give (embedded SQLite,
 * SQS + index table). The factory returns a fresh, empty queue whose time comes from `clock`
 * (visibility and delays are judged by it); `reopen`, when given, opens a second handle on the
 * same storage to check durability. `maxQueued` asks for a queue with that cap.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, QueueDelayError, QueueFullError } from '../../core/ports/errors.ts';
import type { MailQueue, QueueJob } from '../../core/ports/mail-queue.ts';
import { makeJob } from './helpers.ts';
import type { TestClock } from './test-clock.ts';

export interface MailQueueFixture {
  readonly queue: MailQueue;
  readonly clock: TestClock;
  /** A new queue handle on the same storage (another process's view); closed by cleanup. */
  reopen?(): Promise<MailQueue>;
  cleanup(): Promise<void>;
}

export function mailQueueContract(
  name: string,
  make: (opts?: { maxQueued?: number }) => Promise<MailQueueFixture>,
): void {
  describe(`MailQueue contract: ${name}`, () => {
    let fx: MailQueueFixture;
    let queue: MailQueue;
    let clock: TestClock;
    const cleanups: (() => Promise<void>)[] = [];
    beforeEach(async () => {
      fx = await make();
      queue = fx.queue;
      clock = fx.clock;
      cleanups.push(() => fx.cleanup());
    });
    afterEach(async () => {
      for (const c of cleanups.splice(0)) await c();
    });

    const receiveOne = async (visibilitySeconds = 30) => {
      const got = await queue.receive({ max: 1, visibilitySeconds });
      expect(got).toHaveLength(1);
      return got[0]!;
    };

    it('delivers an enqueued job intact with receiveCount 1, then hides it while leased', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      const leased = await receiveOne();
      expect(leased.job).toEqual(job);
      expect(leased.receiveCount).toBe(1);
      expect(typeof leased.receipt).toBe('string');
      expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0 });
      expect((await queue.get(job.id))?.status).toBe('in-flight');
    });

    it('makes a job receivable again after visibility expires, with receiveCount + 1', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      const first = await receiveOne(30);
      clock.advance(29_000);
      expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      clock.advance(1_001);
      const second = await receiveOne(30);
      expect(second.job.id).toBe(job.id);
      expect(second.receiveCount).toBe(2);
      expect(second.receipt).not.toBe(first.receipt);
    });

    it('treats the receipt of an earlier receive as stale', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      const first = await receiveOne(10);
      clock.advance(11_000);
      const second = await receiveOne(10);
      await expect(queue.extend(first.receipt, 60)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(queue.reschedule(first.receipt, { ...job, attempts: 9 }, 0)).rejects.toBeInstanceOf(
        LeaseLostError,
      );
      await queue.ack(first.receipt); // no-op: the job stays with its current holder
      expect((await queue.get(job.id))?.status).toBe('in-flight');
      expect((await queue.get(job.id))?.job.attempts).toBe(0);
      await queue.ack(second.receipt);
      expect(await queue.get(job.id)).toBeUndefined();
      await expect(queue.extend(second.receipt, 60)).rejects.toBeInstanceOf(LeaseLostError);
      await queue.ack(second.receipt);
    });

    it('extends a lease from the time of the call', async () => {
      await queue.enqueue([makeJob()]);
      const leased = await receiveOne(30);
      clock.advance(20_000);
      await queue.extend(leased.receipt, 30);
      clock.advance(29_000);
      expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      clock.advance(2_000);
      expect((await receiveOne()).receiveCount).toBe(2);
    });

    it('ack removes the job for good', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      await queue.ack((await receiveOne(5)).receipt);
      clock.advance(3_600_000);
      expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);
      expect(await queue.get(job.id)).toBeUndefined();
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
    });

    it('dead-letters a job after maxReceiveCount receives without an ack', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      const max = queue.maxReceiveCount;
      expect(max).toBeGreaterThan(0);
      for (let i = 1; i <= max; i++) {
        expect((await receiveOne(1)).receiveCount).toBe(i);
        clock.advance(1_001);
      }
      expect(await queue.receive({ max: 10, visibilitySeconds: 1 })).toEqual([]);
      const entry = await queue.get(job.id);
      expect(entry?.status).toBe('dead');
      expect(entry?.job).toEqual(job);
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 1 });
      expect((await queue.list({ status: 'dead' })).map((e) => e.job.id)).toEqual([job.id]);
    });

    it('honours a delay and refuses one above 900 s', async () => {
      const job = makeJob();
      await queue.enqueue([job], { delaySeconds: 60 });
      expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      expect((await queue.get(job.id))?.status).toBe('delayed');
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 1, dead: 0 });
      clock.advance(59_000);
      expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      clock.advance(1_000);
      expect((await receiveOne()).job.id).toBe(job.id);

      await expect(queue.enqueue([makeJob()], { delaySeconds: 901 })).rejects.toBeInstanceOf(QueueDelayError);
      await expect(queue.enqueue([makeJob()], { delaySeconds: -1 })).rejects.toBeInstanceOf(QueueDelayError);
      await queue.enqueue([makeJob()], { delaySeconds: 900 });
      expect((await queue.depth()).delayed).toBe(1);
    });

    it('reschedule replaces the job state, delays it and starts a fresh receive count', async () => {
      const job = makeJob();
      await queue.enqueue([job]);
      await receiveOne(30); // a first lease that expires
      clock.advance(31_000);
      const leased = await receiveOne(30);
      expect(leased.receiveCount).toBe(2);
      const updated: QueueJob = {
        ...leased.job,
        attempts: 1,
        notBefore: clock.now() + 3_600_000,
        envelope: {
          ...leased.job.envelope,
          recipients: leased.job.envelope.recipients.map((r, i) =>
            i === 0
              ? { ...r, state: 'delivered', attempts: 1, updatedAt: clock.now() }
              : { ...r, attempts: 1, lastReply: { code: 451, enhanced: '4.4.1', text: 'try later' } },
          ),
        },
      };
      await expect(queue.reschedule(leased.receipt, updated, 901)).rejects.toBeInstanceOf(QueueDelayError);
      await queue.reschedule(leased.receipt, updated, 120);
      const entry = await queue.get(job.id);
      expect(entry?.status).toBe('delayed');
      expect(entry?.job).toEqual(updated);
      expect(await queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      clock.advance(120_000);
      const again = await receiveOne();
      expect(again.job).toEqual(updated);
      expect(again.receiveCount).toBe(1);
      await expect(queue.ack(leased.receipt)).resolves.toBeUndefined();
      expect(await queue.get(job.id)).toBeDefined();
    });

    it('receives at most `max` jobs and every job once per lease', async () => {
      const jobs = Array.from({ length: 5 }, () => makeJob());
      await queue.enqueue(jobs);
      const a = await queue.receive({ max: 2, visibilitySeconds: 30 });
      const b = await queue.receive({ max: 10, visibilitySeconds: 30 });
      expect(a).toHaveLength(2);
      expect(b).toHaveLength(3);
      const ids = [...a, ...b].map((l) => l.job.id).sort();
      expect(ids).toEqual(jobs.map((j) => j.id).sort());
    });

    it('gives operators list, get, releaseNow, remove and depth', async () => {
      const [ready, delayed, leased] = [makeJob(), makeJob(), makeJob()];
      await queue.enqueue([leased]);
      const lease = await receiveOne(300);
      await queue.enqueue([ready]);
      await queue.enqueue([delayed], { delaySeconds: 600 });
      expect(await queue.depth()).toEqual({ ready: 1, inFlight: 1, delayed: 1, dead: 0 });

      const all = await queue.list();
      expect(all.map((e) => e.job.id).sort()).toEqual([ready.id, delayed.id, leased.id].sort());
      expect((await queue.list({ status: 'delayed' })).map((e) => e.job.id)).toEqual([delayed.id]);
      expect((await queue.list({ status: 'in-flight' })).map((e) => e.job.id)).toEqual([leased.id]);
      expect((await queue.list({ status: 'ready' })).map((e) => e.job.id)).toEqual([ready.id]);
      expect(await queue.list({ limit: 2 })).toHaveLength(2);

      const d = await queue.get(delayed.id);
      expect(d).toMatchObject({ status: 'delayed', receiveCount: 0, visibleAt: clock.now() + 600_000 });
      expect(d?.job).toEqual(delayed);
      expect(await queue.get('NO-SUCH-JOB')).toBeUndefined();

      expect(await queue.releaseNow(leased.id)).toBe(false);
      expect(await queue.releaseNow('NO-SUCH-JOB')).toBe(false);
      expect(await queue.releaseNow(delayed.id)).toBe(true);
      expect((await queue.get(delayed.id))?.status).toBe('ready');

      expect(await queue.remove(leased.id)).toBe(false);
      expect(await queue.remove('NO-SUCH-JOB')).toBe(false);
      expect(await queue.remove(ready.id)).toBe(true);
      expect(await queue.get(ready.id)).toBeUndefined();

      const got = await queue.receive({ max: 10, visibilitySeconds: 30 });
      expect(got.map((l) => l.job.id)).toEqual([delayed.id]);
      await queue.ack(lease.receipt);
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0 });
    });

    it('releaseNow with clearNotBefore makes a waiting job ready and drops its notBefore', async () => {
      const later = clock.now() + 3_600_000;
      const [retried, kept, leased] = [
        makeJob({ notBefore: later, attempts: 2 }),
        makeJob({ notBefore: later }),
        makeJob({ notBefore: later }),
      ];
      await queue.enqueue([leased]);
      await receiveOne(300);
      await queue.enqueue([retried, kept], { delaySeconds: 900 });

      expect(await queue.releaseNow(leased.id, { clearNotBefore: true })).toBe(false);
      expect((await queue.get(leased.id))?.job.notBefore).toBe(later);
      expect(await queue.releaseNow('NO-SUCH-JOB', { clearNotBefore: true })).toBe(false);

      expect(await queue.releaseNow(retried.id, { clearNotBefore: true })).toBe(true);
      const entry = await queue.get(retried.id);
      expect(entry?.status).toBe('ready');
      const { notBefore: _dropped, ...rest } = retried;
      expect(entry?.job).toEqual(rest);
      expect(entry?.job.notBefore).toBeUndefined();

      // Without the option notBefore stays (the job is only made receivable).
      expect(await queue.releaseNow(kept.id)).toBe(true);
      expect((await queue.get(kept.id))?.job.notBefore).toBe(later);

      const got = await queue.receive({ max: 10, visibilitySeconds: 30 });
      expect(got.map((l) => l.job.id).sort()).toEqual([retried.id, kept.id].sort());
      expect(got.find((l) => l.job.id === retried.id)?.job).toEqual(rest);
    });

    it('makes every one of many concurrent enqueues durable', async () => {
      const jobs = Array.from({ length: 300 }, () => makeJob());
      await Promise.all(jobs.map((job) => queue.enqueue([job])));
      const view = fx.reopen ? await fx.reopen() : queue;
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
      let t0 = performance.now();
      expect(await queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 150 })).toEqual([]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

      const job = makeJob();
      t0 = performance.now();
      const waiting = queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 5_000 });
      setTimeout(() => void queue.enqueue([job]), 100);
      const got = await waiting;
      expect(got.map((l) => l.job.id)).toEqual([job.id]);
      expect(performance.now() - t0).toBeLessThan(2_000);
    });

    it('refuses enqueues beyond maxQueued with QueueFullError', async () => {
      const capped = await make({ maxQueued: 2 });
      cleanups.push(() => capped.cleanup());
      const q = capped.queue;
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
}
