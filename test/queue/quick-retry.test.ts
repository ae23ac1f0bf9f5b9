/**
 * Quick retry of a moving account, through real LMTP backends on a test clock: an account whose
 * lease owner is not live, or whose backend is stopping, is retried within seconds (not after the
 * backoff), is delivered once the handoff is done, and after the quick-retry window the normal
 * backoff applies without counting the quick attempts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_QUICK_RETRY } from '../../core/config/defaults.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { rendezvous } from '../../core/queue/choose-backend.ts';
import { type Harness, SCHEDULE, startHarness } from './harness.ts';

const ALICE = 'alice@example.com';
const QUICK_MS = DEFAULT_QUICK_RETRY.delaySeconds * 1000;
let h: Harness;
afterEach(async () => h?.close());

async function theJob(): Promise<QueueJob> {
  const [entry] = await h.storage.queue.list({ limit: 10 });
  if (!entry) throw new Error('no job queued');
  return entry.job;
}

describe('an account moving between backends', () => {
  it('is retried within seconds while its owner is not live, and delivered once the lease is free', async () => {
    h = await startHarness();
    // A backend that just left still holds Alice's lease.
    const held = await h.storage.leases.acquire(ALICE, 'gone', 60_000);
    expect(held.ok).toBe(true);
    await h.enqueue({ from: 's@remote.example', to: [ALICE] });

    expect((await h.runOnce())?.result).toBe('rescheduled');
    let job = await theJob();
    expect(job.notBefore).toBe(h.clock.now() + QUICK_MS);
    expect(job.quickRetries).toBe(1);
    expect(job.envelope.recipients[0]!.lastReply?.text).toContain('account is open on backend=gone');

    h.clock.advance(QUICK_MS);
    expect((await h.runOnce())?.result).toBe('rescheduled');
    job = await theJob();
    expect(job.quickRetries).toBe(2);

    // The handoff: the leaving backend releases the lease; the next quick retry delivers.
    if (held.ok) await h.storage.leases.release(ALICE, 'gone', held.lease.epoch);
    h.clock.advance(QUICK_MS);
    expect((await h.runOnce())?.result).toBe('done');
    expect(await h.storage.mailboxes.list(ALICE, 'INBOX')).toHaveLength(1);
  });

  it('goes to the normal backoff after the window, not counting the quick attempts', async () => {
    h = await startHarness();
    await h.storage.leases.acquire(ALICE, 'gone', 3600_000);
    await h.enqueue({ from: 's@remote.example', to: [ALICE] });
    let runs = 0;
    for (;;) {
      expect((await h.runOnce())?.result).toBe('rescheduled');
      runs++;
      const job = await theJob();
      if (job.notBefore! - h.clock.now() > QUICK_MS) break;
      expect(runs).toBeLessThan(100);
      h.clock.advance(QUICK_MS);
    }
    const job = await theJob();
    expect(runs).toBe(DEFAULT_QUICK_RETRY.windowSeconds / DEFAULT_QUICK_RETRY.delaySeconds + 1);
    expect(job.attempts).toBe(runs);
    // The first normal retry, as if this were the first attempt: the quick ones do not escalate it.
    expect(job.notBefore).toBe(h.clock.now() + SCHEDULE.firstRetrySeconds * 1000);
    expect(job.warnedAt).toBeUndefined();
  });

  it('is refused by a stopping backend with a moving fact, retried quickly, and stored by the other', async () => {
    h = await startHarness();
    const live = await h.storage.backends.listLive();
    const owner = rendezvous(ALICE, live)!.id;
    const other = owner === 'b1' ? 'b2' : 'b1';
    const held = await h.storage.leases.acquire(ALICE, owner, 60_000);
    const stopping = h.backends.find((b) => b.id === owner)!;
    await stopping.gate.close(0);
    await h.enqueue({ from: 's@remote.example', to: [ALICE] });

    expect((await h.runOnce())?.result).toBe('rescheduled');
    const job = await theJob();
    expect(job.notBefore).toBe(h.clock.now() + QUICK_MS);
    expect(job.envelope.recipients[0]!.lastReply).toMatchObject({ code: 451, enhanced: '4.3.2' });
    expect(job.envelope.recipients[0]!.lastReply?.text).toBe(
      `Backend ${owner} is stopping, its accounts are moving; try again`,
    );

    // The stopping backend deregisters and releases Alice's lease; the quick retry goes to the other.
    await h.storage.backends.deregister(owner);
    if (held.ok) await h.storage.leases.release(ALICE, owner, held.lease.epoch);
    h.clock.advance(QUICK_MS);
    expect((await h.runOnce())?.result).toBe('done');
    expect(await h.storage.mailboxes.list(ALICE, 'INBOX')).toHaveLength(1);
    expect((await h.storage.leases.get(ALICE))?.owner).toBe(other);
  });

  it('is routed again at once, with fresh reads, when its owner left between the two reads', async () => {
    h = await startHarness();
    const live = await h.storage.backends.listLive();
    const owner = rendezvous(ALICE, live)!.id;
    const held = await h.storage.leases.acquire(ALICE, owner, 60_000);
    const stopping = h.backends.find((b) => b.id === owner)!;
    await stopping.gate.close(0);
    // The first attempt meets the stopping backend; by the re-route it has handed Alice over.
    const channel = h.deps.channel;
    let calls = 0;
    const deps = {
      ...h.deps,
      channel: {
        async deliver(...args: Parameters<typeof channel.deliver>) {
          const result = await channel.deliver(...args);
          if (++calls === 1) {
            await h.storage.backends.deregister(owner);
            if (held.ok) await h.storage.leases.release(ALICE, owner, held.lease.epoch);
          }
          return result;
        },
      },
    };
    await h.enqueue({ from: 's@remote.example', to: [ALICE] });
    const [leased] = await h.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    const { processJob } = await import('../../core/queue/process-job.ts');
    expect(await processJob(deps, leased!)).toBe('done');
    expect(calls).toBe(2);
    expect(await h.storage.mailboxes.list(ALICE, 'INBOX')).toHaveLength(1);
  });
});
