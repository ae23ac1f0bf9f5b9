/**
 * Mail queue contract (MailQueue and QueueOperator): the SQS-shaped semantics every queue adapter must give (embedded SQLite,
 * SQS + index table). Every case opens its own fresh, empty queue through `make`, so the cases
 * run concurrently. Time goes through the fixture: `elapse` lets it pass (a TestClock moved at
 * once, or a real sleep) and `now` reads the clock the queue judges leases and delays by. Leases
 * and delays are short (1-2 s) so a real-time run takes seconds.
 *
 * Checks near a lease or delay boundary are timed from a bracket around the call that set it:
 * "still hidden" is checked `margin` before the earliest end the call allows, "back" `margin`
 * after the latest; timestamps must lie within the bracket. On a clock that stands still between
 * `elapse` calls the bracket is one instant, so the embedded queue is held to 1 ms either side
 * and to exact timestamps. Where an adapter differs by design, a capability flag says so and the
 * case checks less, or differently, only under that flag (see MailQueueCapabilities).
 */
import { describe, it, type TestContext } from 'vitest';
import { LeaseLostError, QueueDelayError, QueueFullError } from '../../core/ports/errors.ts';
import type { LeasedJob, OperableMailQueue, QueueJob } from '../../core/ports/mail-queue.ts';
import { makeJob } from './helpers.ts';

export interface MailQueueFixture {
  readonly queue: OperableMailQueue;
  /** The time the queue judges leases and delays by (ms since epoch). */
  now(): number;
  /** Let `ms` of that time pass (resolves once it has). */
  elapse(ms: number): Promise<void>;
  /** A new queue handle on the same storage (another process's view); closed by cleanup. */
  reopen?(): Promise<OperableMailQueue>;
  cleanup(): Promise<void>;
}

export interface MailQueueCapabilities {
  /**
   * `real: false`: the queue reads a clock only `elapse` moves, so boundaries are checked 1 ms
   * either side. `real: true`: leases and delays run on a wall clock (SQS's own), so `elapse`
   * sleeps and boundary checks keep `marginMs` away on either side; it must cover a request's
   * latency and timer jitter. Timestamps are checked against the call's bracket either way.
   */
  readonly time: { readonly real: false } | { readonly real: true; readonly marginMs: number };
  /**
   * Operators (get, list) see a job that was enqueued without a delay and never rescheduled.
   * SQS: false by design, first-attempt jobs never touch the index. Then the operator cases stage
   * their jobs as deferred ones (received once, rescheduled with no delay), which every adapter
   * shows, and only the assertions about a fresh job's entry are skipped.
   */
  readonly operatorSeesFreshJobs: boolean;
  /**
   * depth() still counts the old copy of a job an operator released from a delay. SQS: true, it
   * cannot change a waiting message, so a release sends a new copy and the old one stays in the
   * queue's message counts until its delay ends and a receive drops it.
   */
  readonly depthCountsReplacedCopies: boolean;
}

/** How a job got into the queue: enqueued, or also received once and rescheduled at once. */
type Route = 'fresh' | 'deferred';

/** A lease that outlasts any case (s). */
const HOLD = 30;

interface Timed<T> {
  readonly value: T;
  /** The fixture's clock just before and just after the call. */
  readonly from: number;
  readonly to: number;
}

export function mailQueueContract(
  name: string,
  caps: MailQueueCapabilities,
  make: (opts?: { maxQueued?: number }) => Promise<MailQueueFixture>,
): void {
  const margin = caps.time.real ? caps.time.marginMs : 1;
  /**
   * Lease and delay (s): short, so real-time runs stay short, yet at least four margins long, so
   * "half a lease later" stays clear of both boundaries whatever margin a busy machine needs.
   */
  const VIS = Math.max(2, Math.ceil((4 * margin) / 1000));
  const DELAY = VIS;
  /** The route that leaves a job visible to operators (see operatorSeesFreshJobs). */
  const visibleRoute: Route = caps.operatorSeesFreshJobs ? 'fresh' : 'deferred';
  const operatorSees = (route: Route) => route === 'deferred' || caps.operatorSeesFreshJobs;

  /** A fresh queue for one case, closed when the case ends, and helpers bound to both. */
  async function open(ctx: TestContext, opts?: { maxQueued?: number }) {
    const fx = await make(opts);
    ctx.onTestFinished(() => fx.cleanup());
    const { queue } = fx;
    const { expect } = ctx;

    const receiveOne = async (visibilitySeconds = HOLD): Promise<LeasedJob> => {
      const got = await queue.receive({ max: 1, visibilitySeconds });
      expect(got).toHaveLength(1);
      return got[0]!;
    };
    const expectNone = async (): Promise<void> => {
      expect(await queue.receive({ max: 10, visibilitySeconds: HOLD })).toEqual([]);
    };
    const timed = async <T>(op: () => Promise<T>): Promise<Timed<T>> => {
      const from = fx.now();
      const value = await op();
      return { value, from, to: fx.now() };
    };
    const until = async (at: number): Promise<void> => {
      const wait = at - fx.now();
      if (wait > 0) await fx.elapse(wait);
    };
    /** A timestamp the queue set `offsetMs` after "now" during the call `t`. */
    const expectTime = (actual: number | undefined, t: Timed<unknown>, offsetMs: number): void => {
      if (t.from === t.to) {
        expect(actual).toBe(t.from + offsetMs);
      } else {
        expect(actual).toBeGreaterThanOrEqual(t.from + offsetMs);
        expect(actual).toBeLessThanOrEqual(t.to + offsetMs);
      }
    };
    /** Enqueue `job`; on the deferred route also receive it and reschedule it with no delay. */
    const stage = async (job: QueueJob, route: Route): Promise<void> => {
      await queue.enqueue([job]);
      if (route === 'fresh') return;
      const leased = await receiveOne();
      expect(leased.job.id).toBe(job.id);
      await queue.reschedule(leased.receipt, job, 0);
    };

    return {
      fx,
      queue,
      expect,
      receiveOne,
      expectNone,
      timed,
      /** Let time pass to just before `at` (a lease or delay that ends at `at` still holds). */
      justBefore: async (at: number) => {
        // Real time only: the calls since the bracket took longer than the margin allows.
        if (fx.now() > at - margin) throw new Error(`too slow to check ${margin} ms before a boundary`);
        await until(at - margin);
      },
      /** Let time pass to just after `at` (a lease or delay that ended at `at` is over). */
      justAfter: (at: number) => until(at + margin),
      until,
      expectTime,
      stage,
    };
  }

  describe.concurrent(`MailQueue contract: ${name}`, () => {
    for (const route of ['fresh', 'deferred'] as const) {
      it(`delivers an enqueued job intact with receiveCount 1, then hides it while leased (${route} job)`, async (ctx) => {
        const { queue, expect, receiveOne, stage } = await open(ctx);
        const job = makeJob();
        await stage(job, route);
        const leased = await receiveOne();
        expect(leased.job).toEqual(job);
        expect(leased.receiveCount).toBe(1);
        expect(typeof leased.receipt).toBe('string');
        expect(await queue.receive({ max: 10, visibilitySeconds: HOLD })).toEqual([]);
        expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0, held: 0 });
        // operatorSeesFreshJobs: false (SQS) skips this for a fresh job, which is not indexed.
        if (operatorSees(route)) expect((await queue.get(job.id))?.status).toBe('in-flight');
      });

      it(`treats the receipt of an earlier receive as stale (${route} job)`, async (ctx) => {
        const { queue, expect, receiveOne, expectNone, timed, justAfter, stage } = await open(ctx);
        const job = makeJob();
        await stage(job, route);
        const first = await timed(() => receiveOne(VIS));
        await justAfter(first.to + VIS * 1000);
        const second = await receiveOne(HOLD);
        const stale = first.value.receipt;
        await expect(queue.extend(stale, 60)).rejects.toBeInstanceOf(LeaseLostError);
        await expect(queue.reschedule(stale, { ...job, attempts: 9 }, 0)).rejects.toBeInstanceOf(
          LeaseLostError,
        );
        await queue.ack(stale); // no-op: the job stays with its current holder, unchanged
        await expectNone();
        expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0, held: 0 });
        // operatorSeesFreshJobs: false (SQS) skips these for a fresh job, which is not indexed;
        // the receive and depth above still show that the stale calls changed nothing.
        if (operatorSees(route)) {
          expect((await queue.get(job.id))?.status).toBe('in-flight');
          expect((await queue.get(job.id))?.job.attempts).toBe(0);
        }
        await queue.extend(second.receipt, HOLD);
        await queue.ack(second.receipt);
        expect(await queue.get(job.id)).toBeUndefined();
        expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
        await expect(queue.extend(second.receipt, 60)).rejects.toBeInstanceOf(LeaseLostError);
        await queue.ack(second.receipt);
        await expect(queue.extend('not a receipt', 60)).rejects.toBeInstanceOf(LeaseLostError);
      });
    }

    it('makes a job receivable again after visibility expires, with receiveCount + 1', async (ctx) => {
      const { queue, expect, receiveOne, expectNone, timed, justBefore, justAfter } = await open(ctx);
      const job = makeJob();
      await queue.enqueue([job]);
      const first = await timed(() => receiveOne(VIS));
      await justBefore(first.from + VIS * 1000);
      await expectNone();
      await justAfter(first.to + VIS * 1000);
      const second = await receiveOne(HOLD);
      expect(second.job.id).toBe(job.id);
      expect(second.receiveCount).toBe(2);
      expect(second.receipt).not.toBe(first.value.receipt);
    });

    it('extends a lease from the time of the call', async (ctx) => {
      const { queue, expect, receiveOne, expectNone, timed, until, justBefore, justAfter } = await open(ctx);
      await queue.enqueue([makeJob()]);
      const leased = await timed(() => receiveOne(VIS));
      await until(leased.to + (VIS * 1000) / 2);
      const extended = await timed(() => queue.extend(leased.value.receipt, VIS));
      // Past the end of the first lease (half a lease later than it), before that of the extension.
      expect(extended.from - margin).toBeGreaterThan(leased.to);
      await justBefore(extended.from + VIS * 1000);
      await expectNone();
      await justAfter(extended.to + VIS * 1000);
      expect((await receiveOne()).receiveCount).toBe(2);
    });

    it('ack removes the job for good', async (ctx) => {
      const { queue, expect, receiveOne, expectNone, timed, justAfter } = await open(ctx);
      const job = makeJob();
      await queue.enqueue([job]);
      const leased = await timed(() => receiveOne(VIS));
      await queue.ack(leased.value.receipt);
      await justAfter(leased.to + VIS * 1000);
      await expectNone();
      expect(await queue.get(job.id)).toBeUndefined();
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
    });

    it('dead-letters a job after maxReceiveCount receives without an ack; releaseNow starts it over', async (ctx) => {
      const { queue, expect, receiveOne, expectNone, timed, justAfter } = await open(ctx);
      const job = makeJob();
      await queue.enqueue([job]);
      const max = queue.maxReceiveCount;
      expect(max).toBeGreaterThan(0);
      for (let i = 1; i <= max; i++) {
        const leased = await timed(() => receiveOne(1));
        expect(leased.value.receiveCount).toBe(i);
        await justAfter(leased.to + 1_000);
      }
      await expectNone();
      const entry = await queue.get(job.id);
      expect(entry?.status).toBe('dead');
      expect(entry?.job).toEqual(job);
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 1, held: 0 });
      expect((await queue.list({ status: 'dead' })).map((e) => e.job.id)).toEqual([job.id]);

      expect(await queue.releaseNow(job.id)).toBe(true);
      expect((await queue.get(job.id))?.status).toBe('ready');
      expect(await queue.depth()).toEqual({ ready: 1, inFlight: 0, delayed: 0, dead: 0, held: 0 });
      const again = await receiveOne();
      expect(again.job).toEqual(job);
      expect(again.receiveCount).toBe(1);
    });

    it('honours a delay and refuses one above 900 s', async (ctx) => {
      const { queue, expect, receiveOne, expectNone, timed, justBefore, justAfter, expectTime } =
        await open(ctx);
      const job = makeJob();
      const enqueued = await timed(() => queue.enqueue([job], { delaySeconds: DELAY }));
      await expectNone();
      const entry = await queue.get(job.id);
      expect(entry?.status).toBe('delayed');
      expectTime(entry?.visibleAt, enqueued, DELAY * 1000);
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 1, dead: 0, held: 0 });
      await justBefore(enqueued.from + DELAY * 1000);
      await expectNone();
      await justAfter(enqueued.to + DELAY * 1000);
      expect((await receiveOne()).job.id).toBe(job.id);

      await expect(queue.enqueue([makeJob()], { delaySeconds: 901 })).rejects.toBeInstanceOf(QueueDelayError);
      await expect(queue.enqueue([makeJob()], { delaySeconds: -1 })).rejects.toBeInstanceOf(QueueDelayError);
      await queue.enqueue([makeJob()], { delaySeconds: 900 });
      expect((await queue.depth()).delayed).toBe(1);
    });

    it('reschedule replaces the job state, delays it and starts a fresh receive count', async (ctx) => {
      const { fx, queue, expect, receiveOne, expectNone, timed, justBefore, justAfter, expectTime } =
        await open(ctx);
      const job = makeJob();
      await queue.enqueue([job]);
      const first = await timed(() => receiveOne(VIS)); // a first lease that runs out
      await justAfter(first.to + VIS * 1000);
      const leased = await receiveOne(HOLD);
      expect(leased.receiveCount).toBe(2);
      const now = fx.now();
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
      const rescheduled = await timed(() => queue.reschedule(leased.receipt, updated, DELAY));
      const entry = await queue.get(job.id);
      expect(entry?.status).toBe('delayed');
      expect(entry?.job).toEqual(updated);
      expect(entry?.receiveCount).toBe(0);
      expectTime(entry?.visibleAt, rescheduled, DELAY * 1000);
      await expectNone();
      await justBefore(rescheduled.from + DELAY * 1000);
      await expectNone();
      await justAfter(rescheduled.to + DELAY * 1000);
      const again = await receiveOne();
      expect(again.job).toEqual(updated);
      expect(again.receiveCount).toBe(1);
      await expect(queue.ack(leased.receipt)).resolves.toBeUndefined();
      expect((await queue.get(job.id))?.status).toBe('in-flight');
    });

    it('receives at most `max` jobs and every job once per lease', async (ctx) => {
      const { queue, expect } = await open(ctx);
      const jobs = Array.from({ length: 5 }, () => makeJob());
      await queue.enqueue(jobs);
      const a = await queue.receive({ max: 2, visibilitySeconds: HOLD });
      const b = await queue.receive({ max: 10, visibilitySeconds: HOLD });
      expect(a).toHaveLength(2);
      expect(b).toHaveLength(3);
      const ids = [...a, ...b].map((l) => l.job.id).sort();
      expect(ids).toEqual(jobs.map((j) => j.id).sort());
    });

    it(`gives operators list, get, releaseNow, remove and depth (${visibleRoute} jobs)`, async (ctx) => {
      const { queue, expect, receiveOne, timed, expectTime, stage } = await open(ctx);
      const [ready, delayed, leased] = [makeJob(), makeJob(), makeJob()];
      await stage(leased, visibleRoute);
      const lease = await timed(() => receiveOne(300));
      await stage(ready, visibleRoute);
      const enqueued = await timed(() => queue.enqueue([delayed], { delaySeconds: 600 }));
      expect(await queue.depth()).toEqual({ ready: 1, inFlight: 1, delayed: 1, dead: 0, held: 0 });

      const all = await queue.list();
      expect(all.map((e) => e.job.id).sort()).toEqual([ready.id, delayed.id, leased.id].sort());
      expect((await queue.list({ status: 'delayed' })).map((e) => e.job.id)).toEqual([delayed.id]);
      expect((await queue.list({ status: 'in-flight' })).map((e) => e.job.id)).toEqual([leased.id]);
      expect((await queue.list({ status: 'ready' })).map((e) => e.job.id)).toEqual([ready.id]);
      expect(await queue.list({ limit: 2 })).toHaveLength(2);

      const d = await queue.get(delayed.id);
      expect(d).toMatchObject({ status: 'delayed', receiveCount: 0 });
      expectTime(d?.visibleAt, enqueued, 600_000);
      expect(d?.job).toEqual(delayed);
      const l = await queue.get(leased.id);
      expect(l).toMatchObject({ status: 'in-flight', receiveCount: 1 });
      expectTime(l?.visibleAt, lease, 300_000);
      expect(l?.job).toEqual(leased);
      expect(await queue.get('NO-SUCH-JOB')).toBeUndefined();

      expect(await queue.releaseNow(leased.id)).toBe(false);
      expect(await queue.releaseNow('NO-SUCH-JOB')).toBe(false);
      expect(await queue.releaseNow(delayed.id)).toBe(true);
      expect((await queue.get(delayed.id))?.status).toBe('ready');

      expect(await queue.remove(leased.id)).toBe(false);
      expect(await queue.remove('NO-SUCH-JOB')).toBe(false);
      expect(await queue.remove(ready.id)).toBe(true);
      expect(await queue.get(ready.id)).toBeUndefined();

      const got = await queue.receive({ max: 10, visibilitySeconds: HOLD });
      expect(got.map((x) => x.job.id)).toEqual([delayed.id]);
      await queue.ack(lease.value.receipt);
      // depthCountsReplacedCopies (SQS): the released job's first copy still waits out its delay.
      const replaced = caps.depthCountsReplacedCopies ? 1 : 0;
      expect(await queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: replaced, dead: 0, held: 0 });
    });

    it(`releaseNow with clearNotBefore makes a waiting job ready and drops its notBefore (${visibleRoute} lease)`, async (ctx) => {
      const { fx, queue, expect, receiveOne, stage } = await open(ctx);
      const later = fx.now() + 3_600_000;
      const [retried, kept, leased] = [
        makeJob({ notBefore: later, attempts: 2 }),
        makeJob({ notBefore: later }),
        makeJob({ notBefore: later }),
      ];
      await stage(leased, visibleRoute);
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

      const got = await queue.receive({ max: 10, visibilitySeconds: HOLD });
      expect(got.map((x) => x.job.id).sort()).toEqual([retried.id, kept.id].sort());
      expect(got.find((x) => x.job.id === retried.id)?.job).toEqual(rest);
    });

    for (const route of ['fresh', 'deferred'] as const) {
      it(`park holds a received job until releaseNow, with its new state and a fresh receive count (${route} job)`, async (ctx) => {
        const { queue, expect, receiveOne, expectNone, stage } = await open(ctx);
        const job = makeJob();
        await stage(job, route);
        const leased = await receiveOne();
        const parked = { ...job, attempts: 1 };
        await queue.park(leased.receipt, parked);
        await expectNone();
        // Operators see a held job on every adapter (SQS: the park indexes it).
        expect(await queue.get(job.id)).toMatchObject({ status: 'held', receiveCount: 0, job: parked });
        expect((await queue.list({ status: 'held' })).map((e) => e.job.id)).toEqual([job.id]);
        expect((await queue.depth()).held).toBe(1);
        // The receipt is spent: a second park, an ack or an extend changes nothing.
        await expect(queue.park(leased.receipt, parked)).rejects.toBeInstanceOf(LeaseLostError);
        await queue.ack(leased.receipt);
        expect((await queue.get(job.id))?.status).toBe('held');

        expect(await queue.releaseNow(job.id)).toBe(true);
        expect((await queue.get(job.id))?.status).toBe('ready');
        const again = await receiveOne();
        expect(again).toMatchObject({ job: parked, receiveCount: 1 });
        await queue.ack(again.receipt);
        await expectNone();
      });
    }

    it(`hold parks a waiting job at once; in-flight, dead and unknown ones are refused (${visibleRoute} jobs)`, async (ctx) => {
      const { queue, expect, receiveOne, expectNone, stage } = await open(ctx);
      const [ready, delayed, leased] = [makeJob(), makeJob(), makeJob()];
      await stage(leased, visibleRoute);
      const lease = await receiveOne(300);
      await stage(ready, visibleRoute);
      await queue.enqueue([delayed], { delaySeconds: 600 });

      expect(await queue.hold(ready.id)).toBe(true);
      expect(await queue.hold(ready.id)).toBe(true); // already held: still true
      expect(await queue.hold(delayed.id)).toBe(true);
      expect(await queue.hold(leased.id)).toBe(false);
      expect(await queue.hold('NO-SUCH-JOB')).toBe(false);
      await expectNone();
      expect((await queue.list({ status: 'held' })).map((e) => e.job.id).sort()).toEqual(
        [ready.id, delayed.id].sort(),
      );
      expect((await queue.depth()).held).toBe(2);

      // A held job can be removed like any waiting one; releaseNow makes it ready at once.
      expect(await queue.remove(delayed.id)).toBe(true);
      expect(await queue.get(delayed.id)).toBeUndefined();
      expect(await queue.releaseNow(ready.id)).toBe(true);
      const got = await receiveOne();
      expect(got.job).toEqual(ready);
      await queue.ack(got.receipt);
      await queue.ack(lease.receipt);
      expect((await queue.depth()).held).toBe(0);
    });

    for (const source of ['DSN', 'RULE'] as const) {
      it(`ignores a second enqueue of a ${source} job whose id it already holds`, async (ctx) => {
        const { queue, expect } = await open(ctx);
        // Generated mail and DSNs carry ids derived from the step that made them: a repeated
        // step enqueues the same id again, and the recipient must not get two copies.
        const job = makeJob({ source });
        await queue.enqueue([job]);
        await queue.enqueue([{ ...job, envelope: { ...job.envelope, mailFrom: 'other@example.org' } }]);
        const got = [
          ...(await queue.receive({ max: 10, visibilitySeconds: HOLD, waitMs: 200 })),
          ...(await queue.receive({ max: 10, visibilitySeconds: HOLD, waitMs: 200 })),
        ];
        expect(got.map((g) => g.job.id)).toEqual([job.id]);
        expect(got[0]!.job.envelope.mailFrom).toBe(job.envelope.mailFrom);
      });

      it(`ignores a ${source} job enqueued again after it was acked`, async (ctx) => {
        const { queue, expect } = await open(ctx);
        // A backend that crashed after storing runs its rules again once the job is long done:
        // the generated message (or DSN) must not go out a second time.
        const acked = makeJob({ source });
        const fresh = makeJob();
        await queue.enqueue([acked]);
        const first = await queue.receive({ max: 10, visibilitySeconds: HOLD, waitMs: 200 });
        expect(first.map((l) => l.job.id)).toEqual([acked.id]);
        await queue.ack(first[0]!.receipt);
        await queue.enqueue([acked, fresh]);
        const got = [
          ...(await queue.receive({ max: 10, visibilitySeconds: HOLD, waitMs: 200 })),
          ...(await queue.receive({ max: 10, visibilitySeconds: HOLD, waitMs: 200 })),
        ];
        expect(got.map((g) => g.job.id)).toEqual([fresh.id]);
      });
    }

    it('makes every one of many concurrent enqueues durable', async (ctx) => {
      const { fx, queue, expect } = await open(ctx);
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

    it('long-polls: waits for a job enqueued during the wait, or returns empty at the deadline', async (ctx) => {
      const { queue, expect } = await open(ctx);
      let t0 = performance.now();
      expect(await queue.receive({ max: 1, visibilitySeconds: HOLD, waitMs: 150 })).toEqual([]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

      const job = makeJob();
      t0 = performance.now();
      const waiting = queue.receive({ max: 1, visibilitySeconds: HOLD, waitMs: 5_000 });
      setTimeout(() => void queue.enqueue([job]), 100);
      const got = await waiting;
      expect(got.map((l) => l.job.id)).toEqual([job.id]);
      expect(performance.now() - t0).toBeLessThan(2_000);
    });

    it('refuses enqueues beyond maxQueued with QueueFullError', async (ctx) => {
      const { queue: q, expect } = await open(ctx, { maxQueued: 2 });
      await q.enqueue([makeJob(), makeJob()]);
      const err = await q.enqueue([makeJob()]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueueFullError);
      expect((err as QueueFullError).limit).toBe(2);
      expect((await q.depth()).ready).toBe(2);
      const [l] = await q.receive({ max: 1, visibilitySeconds: HOLD });
      await q.ack(l!.receipt);
      await q.enqueue([makeJob()]);
      expect((await q.depth()).ready).toBe(2);
    });
  });
}
