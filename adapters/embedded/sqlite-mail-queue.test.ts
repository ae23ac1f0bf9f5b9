/** MailQueue contract on SQLite, plus redrive, maxQueued, duplicate ids, group commit and close. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { timerTicks } from '../../test/support/event-loop.ts';
import { makeJob } from '../contract/helpers.ts';
import { mailQueueContract } from '../contract/mail-queue.contract.ts';
import { type TempStorage, tempStorage } from './test-support.ts';

// A TestClock: time moves only when the contract lets it, at once, so boundaries are exact.
mailQueueContract(
  'embedded SQLite',
  { time: { real: false }, operatorSeesFreshJobs: true, depthCountsReplacedCopies: false },
  async (opts) => {
    const t = await tempStorage({ maxQueued: opts?.maxQueued ?? 0, maxReceiveCount: 5 });
    return {
      queue: t.storage.queue,
      now: () => t.clock.now(),
      elapse: async (ms) => t.clock.advance(ms),
      reopen: async () => (await t.reopen()).queue,
      cleanup: t.cleanup,
    };
  },
);

describe('SqliteMailQueue (embedded specifics)', () => {
  let t: TempStorage;
  afterEach(async () => {
    await t.cleanup();
  });

  it('defaults to maxReceiveCount 20', async () => {
    t = await tempStorage();
    expect(t.storage.queue.maxReceiveCount).toBe(20);
  });

  it('releases a dead job back to ready with a fresh receive count', async () => {
    t = await tempStorage({ maxReceiveCount: 1 });
    const { queue } = t.storage;
    const job = makeJob();
    await queue.enqueue([job]);
    await queue.receive({ max: 1, visibilitySeconds: 1 });
    t.clock.advance(2_000);
    expect(await queue.receive({ max: 1, visibilitySeconds: 1 })).toEqual([]);
    expect((await queue.get(job.id))?.status).toBe('dead');
    expect(await queue.releaseNow(job.id)).toBe(true);
    const [again] = await queue.receive({ max: 1, visibilitySeconds: 1 });
    expect(again?.receiveCount).toBe(1);
  });

  it('does not count dead jobs against maxQueued, and removes dead jobs', async () => {
    t = await tempStorage({ maxReceiveCount: 1, maxQueued: 1 });
    const { queue } = t.storage;
    const dead = makeJob();
    await queue.enqueue([dead]);
    await queue.receive({ max: 1, visibilitySeconds: 1 });
    t.clock.advance(2_000);
    await queue.receive({ max: 1, visibilitySeconds: 1 });
    await queue.enqueue([makeJob()]);
    expect(await queue.depth()).toEqual({ ready: 1, inFlight: 0, delayed: 0, dead: 1, held: 0 });
    expect(await queue.remove(dead.id)).toBe(true);
    expect((await queue.depth()).dead).toBe(0);
  });

  it('keeps its count of non-dead jobs equal to the table through every lifecycle step', async () => {
    t = await tempStorage({ maxReceiveCount: 1, maxQueued: 100 });
    const { queue } = t.storage;
    const db = new Database(join(t.dir, 'queue.db'), { readonly: true });
    const counts = () =>
      db
        .prepare(
          `SELECT (SELECT n FROM queue_counts WHERE name = 'live') AS kept,
             (SELECT COUNT(*) FROM queue_jobs WHERE dead != 1) AS counted`,
        )
        .get() as { kept: number; counted: number };
    const seen: number[] = [];
    const step = async (action: () => Promise<unknown>) => {
      await action();
      const { kept, counted } = counts();
      expect(kept).toBe(counted);
      seen.push(kept);
    };
    try {
      const [a, b, c] = [makeJob(), makeJob(), makeJob()];
      await step(() => queue.enqueue([a, b, c]));
      await step(() => queue.hold(b.id)); // held still counts
      const [leased] = await queue.receive({ max: 1, visibilitySeconds: 1 });
      await step(() => queue.ack(leased!.receipt));
      await step(async () => {
        await queue.receive({ max: 1, visibilitySeconds: 1 });
        t.clock.advance(2_000);
        await queue.receive({ max: 1, visibilitySeconds: 1 }); // received once too often: dead
      });
      await step(() => queue.releaseNow(c.id)); // dead back to live
      await step(() => queue.remove(b.id));
      expect(seen).toEqual([3, 3, 2, 1, 2, 1]);
    } finally {
      db.close();
    }
  });

  it('waits for a write lock held elsewhere without blocking the event loop, then leases the job', async () => {
    t = await tempStorage();
    const { queue } = t.storage;
    const job = makeJob();
    await queue.enqueue([job]);
    const holder = new Database(join(t.dir, 'queue.db'));
    try {
      holder.exec('BEGIN IMMEDIATE');
      const leased = queue.receive({ max: 1, visibilitySeconds: 30 });
      // Timer ticks while the receive waits: the loop is not held in SQLite's busy handler.
      await timerTicks(5, 2);
      holder.exec('ROLLBACK');
      expect((await leased).map((l) => l.job.id)).toEqual([job.id]);
    } finally {
      holder.close();
    }
  });

  it('ignores a second enqueue of a job id that is already queued', async () => {
    t = await tempStorage();
    const { queue } = t.storage;
    const job = makeJob();
    await queue.enqueue([job]);
    await queue.enqueue([{ ...job, attempts: 7 }]);
    expect((await queue.depth()).ready).toBe(1);
    expect((await queue.get(job.id))?.job.attempts).toBe(0);
  });

  it('refuses a whole enqueue call that does not fit, and accepts the calls that do', async () => {
    t = await tempStorage({ maxQueued: 3 });
    const { queue } = t.storage;
    const results = await Promise.allSettled([
      queue.enqueue([makeJob(), makeJob()]),
      queue.enqueue([makeJob(), makeJob()]),
      queue.enqueue([makeJob()]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await queue.depth()).ready).toBe(3);
  });

  it('commits concurrent enqueues in shared transactions (group commit)', async () => {
    t = await tempStorage();
    const { queue } = t.storage;
    await Promise.all(Array.from({ length: 100 }, () => queue.enqueue([makeJob()])));
    expect((await queue.depth()).ready).toBe(100);
    expect(queue.stats).toEqual({ enqueueCalls: 100, enqueueCommits: 1 });
  });

  it('refuses enqueues after close but commits what was pending', async () => {
    t = await tempStorage();
    const { queue } = t.storage;
    const pending = queue.enqueue([makeJob()]);
    queue.close();
    await pending;
    await expect(queue.enqueue([makeJob()])).rejects.toThrow('closed');
    const other = await t.reopen();
    expect((await other.queue.depth()).ready).toBe(1);
  });
});
