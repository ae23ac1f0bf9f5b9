/**
 * Operator actions (retry now, bounce, delete) against the real embedded storage: queue states
 * before and after, the DSN a bounce enqueues (envelope and report text), bodies deleted or kept,
 * refusals for jobs in flight or gone, and that a retried job is attempted by processJob at once.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAll } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { delivered, type RecipientOutcome } from '../mail/outcome.ts';
import { silentLogger } from '../ports/logger.ts';
import type { JobRecipient, QueueJob } from '../ports/mail-queue.ts';
import type { RelayRequest } from '../ports/outbound-relay.ts';
import { newQueueId } from '../util/ids.ts';
import { adminBounceReply, bounceJob, deleteJob, retryNow } from './operator-actions.ts';
import { type ProcessorDeps, processJob } from './process-job.ts';
import { DEFAULT_RETRY_SCHEDULE } from './retry-schedule.ts';

const BODY =
  'From: Sender <sender@example.net>\r\nTo: bob@example.org\r\nSubject: bounce me\r\n' +
  'Message-ID: <b1@example.net>\r\n\r\nBody text that a HDRS report leaves out.\r\n';

const rcpt = (address: string, extra: Partial<JobRecipient> = {}): JobRecipient => ({
  address,
  original: address,
  state: 'pending',
  attempts: 0,
  ...extra,
});

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(async () => {
  await t.cleanup();
});

/** A job with its body stored, enqueued (delayed by `delaySeconds`). */
async function queued(
  overrides: Partial<QueueJob> = {},
  opts: { delaySeconds?: number; body?: boolean } = {},
): Promise<QueueJob> {
  const id = overrides.id ?? newQueueId(t.clock.now());
  const ref =
    opts.body === false
      ? { key: id, size: BODY.length }
      : await t.storage.messages.put(id, Readable.from([Buffer.from(BODY)]));
  const job: QueueJob = {
    id,
    source: 'SMTP',
    createdAt: t.clock.now() - 60_000,
    body: ref,
    envelope: { mailFrom: 'sender@example.net', recipients: [rcpt('bob@example.org')], ret: 'HDRS' },
    attempts: 0,
    ...overrides,
  };
  await t.storage.queue.enqueue([job], opts);
  return job;
}

const deps = () => ({
  queue: t.storage.queue,
  messages: t.storage.messages,
  clock: t.clock,
  hostname: 'mx1.strato.test',
});

describe('retryNow', () => {
  it('makes a delayed job ready and drops its notBefore, so processJob attempts it at once', async () => {
    const notBefore = t.clock.now() + 3_600_000;
    const job = await queued({ notBefore, attempts: 3 }, { delaySeconds: 900 });
    expect((await t.storage.queue.get(job.id))?.status).toBe('delayed');

    const result = await retryNow(t.storage.queue, job.id);
    expect(result).toMatchObject({ ok: true, before: { status: 'delayed' } });
    const after = await t.storage.queue.get(job.id);
    expect(after?.status).toBe('ready');
    expect(after?.job.notBefore).toBeUndefined();
    expect(after?.job.attempts).toBe(3);

    const sent: RelayRequest[] = [];
    const processor: ProcessorDeps = {
      ...deps(),
      directory: t.storage.directory,
      leases: t.storage.leases,
      registry: t.storage.backends,
      channel: {
        deliver: () => Promise.reject(new Error('no local recipients here')),
      },
      relay: {
        send: async (req) => {
          sent.push(req);
          return new Map<string, RecipientOutcome>(req.recipients.map((r) => [r, delivered()]));
        },
      },
      logger: silentLogger,
      schedule: DEFAULT_RETRY_SCHEDULE,
      backendMode: 'dynamic',
    };
    const [leased] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(leased?.job.id).toBe(job.id);
    expect(await processJob(processor, leased!)).toBe('done');
    expect(sent.map((r) => r.recipients)).toEqual([['bob@example.org']]);
  });

  it('contrast: a plain releaseNow leaves notBefore, and the processor defers the job again', async () => {
    const job = await queued({ notBefore: t.clock.now() + 3_600_000 }, { delaySeconds: 900 });
    expect(await t.storage.queue.releaseNow(job.id)).toBe(true);
    const [leased] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    const processor = { ...deps(), logger: silentLogger } as unknown as ProcessorDeps;
    expect(await processJob(processor, leased!)).toBe('deferred');
    expect((await t.storage.queue.get(job.id))?.status).toBe('delayed');
  });

  it('redrives a dead job and refuses jobs in flight or not queued', async () => {
    const inFlight = await queued();
    await t.storage.queue.receive({ max: 1, visibilitySeconds: 600 });
    expect(await retryNow(t.storage.queue, inFlight.id)).toEqual({ ok: false, reason: 'in-flight' });
    expect(await retryNow(t.storage.queue, newQueueId())).toEqual({ ok: false, reason: 'not-found' });
    expect((await t.storage.queue.get(inFlight.id))?.status).toBe('in-flight');

    const t2 = await tempStorage({ maxReceiveCount: 1 });
    try {
      const q = t2.storage.queue;
      const dead = { ...inFlight, id: newQueueId() };
      await q.enqueue([dead]);
      await q.receive({ max: 1, visibilitySeconds: 1 });
      t2.clock.advance(2_000);
      await q.receive({ max: 1, visibilitySeconds: 1 });
      expect((await q.get(dead.id))?.status).toBe('dead');
      expect(await retryNow(q, dead.id)).toMatchObject({ ok: true, before: { status: 'dead' } });
      expect(await q.get(dead.id)).toMatchObject({ status: 'ready', receiveCount: 0 });
    } finally {
      await t2.cleanup();
    }
  });
});

describe('bounceJob', () => {
  it('removes the job, enqueues one failed DSN from <> to the sender for the pending recipients that want it, and deletes the body', async () => {
    const job = await queued({
      envelope: {
        mailFrom: 'sender@example.net',
        ret: 'HDRS',
        envid: 'env-42',
        recipients: [
          rcpt('alice@demo.strato.test', { state: 'delivered', attempts: 1 }),
          rcpt('bob@example.org', { original: 'Bob@Example.org', orcpt: 'rfc822;Bob@Example.org' }),
          rcpt('carol@example.org', { notify: ['NEVER'] }),
          rcpt('dave@example.org', { notify: ['SUCCESS', 'FAILURE'] }),
        ],
      },
    });
    const result = await bounceJob(deps(), job.id, 'spam run\r\nInjected: header');
    expect(result).toMatchObject({
      ok: true,
      reported: ['bob@example.org', 'dave@example.org'],
      unreported: ['carol@example.org'],
    });
    if (!result.ok) throw new Error('unreachable');
    expect(result.noReport).toBeUndefined();
    expect(result.job.envelope.recipients.map((r) => r.state)).toEqual([
      'delivered',
      'failed',
      'failed',
      'failed',
    ]);

    const left = await t.storage.queue.list();
    expect(left).toHaveLength(1);
    const dsn = left[0]!.job;
    expect(dsn.id).toBe(result.dsnId);
    expect(dsn.source).toBe('DSN');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(dsn.envelope.recipients.map((r) => r.address)).toEqual(['sender@example.net']);
    expect(await t.storage.messages.exists(job.body.key)).toBe(false);

    const text = (await readAll(await t.storage.messages.open(dsn.body))).toString('utf8');
    expect(text).toContain('To: <sender@example.net>');
    expect(text).toContain('Original-Envelope-Id: env-42');
    expect(text).toContain('Final-Recipient: rfc822; Bob@Example.org');
    expect(text).toContain('Final-Recipient: rfc822; dave@example.org');
    expect(text).not.toContain('carol@example.org');
    expect(text).not.toContain('Final-Recipient: rfc822; alice@demo.strato.test');
    expect(text).toContain('Status: 5.7.1');
    expect(text).toContain(
      'Diagnostic-Code: smtp; 550 5.7.1 rejected by the administrator: spam run Injected: header',
    );
    expect(text).not.toMatch(/^Injected:/m);
    expect(text).toContain('Subject: bounce me');
    expect(text).not.toContain('Body text');
  });

  it('sends no DSN for a null sender, a DSN job or recipients with NOTIFY=NEVER, and still removes the job', async () => {
    const nullSender = await queued({
      envelope: { mailFrom: '', recipients: [rcpt('bob@example.org')] },
    });
    const dsnJob = await queued({ source: 'DSN' });
    const never = await queued({
      envelope: {
        mailFrom: 'sender@example.net',
        recipients: [rcpt('bob@example.org', { notify: ['NEVER'] })],
      },
    });
    const done = await queued({
      envelope: {
        mailFrom: 'sender@example.net',
        recipients: [rcpt('bob@example.org', { state: 'delivered' })],
      },
    });
    const reasons = [];
    for (const job of [nullSender, dsnJob, never, done]) {
      const r = await bounceJob(deps(), job.id);
      expect(r).toMatchObject({ ok: true, dsnId: undefined });
      if (r.ok) reasons.push(r.noReport);
      expect(await t.storage.messages.exists(job.body.key)).toBe(false);
    }
    expect(reasons).toEqual(['null-sender', 'dsn-job', 'notify', 'nothing-pending']);
    expect(await t.storage.queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
  });

  it('refuses a job in flight, an unknown id, and a job whose body is gone, changing nothing', async () => {
    const inFlight = await queued();
    await t.storage.queue.receive({ max: 1, visibilitySeconds: 600 });
    const noBody = await queued({}, { body: false });

    expect(await bounceJob(deps(), inFlight.id, 'x')).toEqual({ ok: false, reason: 'in-flight' });
    expect(await bounceJob(deps(), newQueueId(), 'x')).toEqual({ ok: false, reason: 'not-found' });
    expect(await bounceJob(deps(), noBody.id, 'x')).toMatchObject({ ok: false, reason: 'body-missing' });

    expect(await t.storage.queue.depth()).toEqual({ ready: 1, inFlight: 1, delayed: 0, dead: 0, held: 0 });
    expect(await t.storage.messages.exists(inFlight.body.key)).toBe(true);
  });

  it('puts the job back when the DSN cannot be enqueued', async () => {
    const job = await queued({ notBefore: t.clock.now() + 600_000 });
    const queue = Object.create(t.storage.queue) as typeof t.storage.queue;
    queue.enqueue = async (jobs, opts) => {
      if (jobs.some((j) => j.source === 'DSN')) throw new Error('queue unavailable');
      return t.storage.queue.enqueue(jobs, opts);
    };
    await expect(bounceJob({ ...deps(), queue }, job.id, 'x')).rejects.toThrow('queue unavailable');
    const entry = await t.storage.queue.get(job.id);
    expect(entry?.job).toEqual(job);
    expect(await t.storage.messages.exists(job.body.key)).toBe(true);
  });
});

describe('deleteJob', () => {
  it('removes a waiting job and its body without any report; refuses in-flight and unknown jobs', async () => {
    const job = await queued({}, { delaySeconds: 300 });
    const inFlight = await queued();
    await t.storage.queue.receive({ max: 1, visibilitySeconds: 600 });

    expect(await deleteJob(t.storage.queue, t.storage.messages, job.id)).toMatchObject({
      ok: true,
      job: { id: job.id },
    });
    expect(await t.storage.queue.get(job.id)).toBeUndefined();
    expect(await t.storage.messages.exists(job.body.key)).toBe(false);
    expect(await deleteJob(t.storage.queue, t.storage.messages, job.id)).toEqual({
      ok: false,
      reason: 'not-found',
    });
    expect(await deleteJob(t.storage.queue, t.storage.messages, inFlight.id)).toEqual({
      ok: false,
      reason: 'in-flight',
    });
    expect(await t.storage.queue.depth()).toEqual({ ready: 0, inFlight: 1, delayed: 0, dead: 0, held: 0 });
  });
});

describe('adminBounceReply', () => {
  it('is a 5.7.1 reply with the reason on one printable ASCII line, at most 200 characters of it', () => {
    expect(adminBounceReply()).toEqual({
      code: 550,
      enhanced: '5.7.1',
      text: 'rejected by the administrator',
    });
    expect(adminBounceReply('  ').text).toBe('rejected by the administrator');
    expect(adminBounceReply('spam\r\n\tcampaign  ü').text).toBe(
      'rejected by the administrator: spam campaign ?',
    );
    expect(adminBounceReply('x'.repeat(500)).text).toHaveLength(
      'rejected by the administrator: '.length + 200,
    );
  });
});
