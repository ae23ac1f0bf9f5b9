/**
 * DisabledRetry / FullRetry through real queue processing (LMTP backends, TestClock): a disabled or
 * full account is retried every X instead of on the queue's backoff, and after Y the recipient
 * fails permanently with one DSN; without the setting the queue's schedule applies unchanged.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, SCHEDULE, startHarness } from './harness.ts';

let h: Harness;
afterEach(async () => h?.close());

const MINUTE = 60_000;

async function job(id: string) {
  return (await h.storage.queue.get(id))?.job;
}

describe('DisabledRetry and FullRetry', () => {
  it('retries a disabled account every X, then bounces once after Y', async () => {
    h = await startHarness();
    await h.storage.directory.updateAccountSettings('alice@example.com', {
      Enabled: false,
      DisabledRetry: [120, 600],
    });
    const queued = await h.enqueue({ from: 'sender@remote.example', to: ['alice@example.com'] });
    const start = h.clock.now();
    expect((await h.runOnce())?.result).toBe('rescheduled');
    expect((await job(queued.id))?.notBefore).toBe(start + 2 * MINUTE);
    expect(SCHEDULE.firstRetrySeconds).not.toBe(120);

    h.clock.advance(11 * MINUTE);
    await h.heartbeatAll();
    await h.storage.queue.releaseNow(queued.id, { clearNotBefore: true });
    expect((await h.runOnce())?.result).toBe('done');
    expect((await h.runOnce())?.result).toBe('done'); // the DSN, relayed to the external sender
    expect(await h.runOnce()).toBeUndefined();
    // One failure DSN to the (external) sender, naming the account state and the period.
    const dsns = await h.captured();
    expect(dsns).toHaveLength(1);
    const dsn = await readFile(`${h.captureDir}/${dsns[0]}`, 'utf8');
    expect(dsn).toContain('Status: 5.2.1');
    expect(dsn).toContain('mail service disabled for this account for over 600 seconds');
  });

  it('applies FullRetry from the domain defaults to a full account', async () => {
    h = await startHarness();
    await h.storage.directory.updateDomain('example.com', { defaults: { FullRetry: [30, 3600] } });
    await h.storage.directory.updateAccountSettings('bob@example.com', { MaxAccountSize: 10 });
    const queued = await h.enqueue({ from: 'sender@remote.example', to: ['bob@example.com'] });
    const start = h.clock.now();
    expect((await h.runOnce())?.result).toBe('rescheduled');
    const after = await job(queued.id);
    expect(after?.notBefore).toBe(start + 30_000);
    expect(after?.envelope.recipients[0]?.lastReply).toMatchObject({ code: 452, enhanced: '4.2.2' });
  });

  it('keeps the queue schedule without the setting', async () => {
    h = await startHarness();
    await h.storage.directory.updateAccountSettings('alice@example.com', { Enabled: false });
    const queued = await h.enqueue({ from: 'sender@remote.example', to: ['alice@example.com'] });
    const start = h.clock.now();
    expect((await h.runOnce())?.result).toBe('rescheduled');
    expect((await job(queued.id))?.notBefore).toBe(start + SCHEDULE.firstRetrySeconds * 1000);
  });
});
