/**
 * Cluster rules and sender limits at acceptance (acceptMessage on real embedded storage): header
 * edits reach the enqueued body, reject answers 550 5.7.1 and leaves nothing, discard enqueues
 * nothing, redirect enqueues a RULE job instead of the message, mirror adds one; MaxMailOutSize and
 * MailOutFlow refuse with their own replies and count once per accepted message. A storage fault
 * while the rules store bodies leaves none of them behind. Generated mail in queue mode (queueSink
 * with the cluster rules as its screen) passes them once, as source RULE.
 */
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { silentLogger } from '../ports/logger.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { Rule } from '../rules/index.ts';
import { queueSink } from '../rules-runner/generated-mail-sink.ts';
import { BUILTIN_SETTINGS } from '../settings/settings.ts';
import { type AcceptRequest, acceptMessage } from './accept-message.ts';
import { applyClusterRules } from './cluster-rules.ts';
import type { AcceptedRecipient } from './envelope-checks.ts';
import { outflowKey } from './sender-limits.ts';

const MESSAGE = 'From: <sender@elsewhere.org>\r\nSubject: Offer\r\n\r\nBuy now\r\n';
let t: TempStorage;
let seq = 0;

const local = (address: string): AcceptedRecipient => ({
  original: address,
  route: {
    kind: 'local',
    address,
    account: { address, domain: 'example.com', name: address.split('@')[0]!, settings: {}, createdAt: 0 },
    settings: BUILTIN_SETTINGS,
  },
});

async function accept(over: Partial<AcceptRequest> = {}, body = MESSAGE) {
  const s = t.storage;
  const data = new PassThrough();
  data.end(body);
  return acceptMessage(
    {
      messages: s.messages,
      queue: s.queue,
      clock: t.clock,
      logger: silentLogger,
      counters: s.counters,
      newId: () => `01KB00000000000000${String(++seq).padStart(2, '0')}`,
      clusterRules: {
        store: s.rules,
        autoReplies: s.autoReplies,
        directory: s.directory,
        messages: s.messages,
        clock: t.clock,
        logger: silentLogger,
        postmaster: 'postmaster@mx.test',
      },
    },
    {
      session: { ip: '192.0.2.7', helo: 'c.example', esmtp: true, tls: false, requireAuth: false },
      hostname: 'mx.test',
      frontendId: 'fe-1',
      mailFrom: 'sender@elsewhere.org',
      recipients: [local('alice@example.com')],
      maxMessageSize: 10_000,
      ...over,
    },
    data,
  );
}

async function queued() {
  return Promise.all(
    (await t.storage.queue.list()).map(async (e) => ({
      job: e.job,
      body: await text(await t.storage.messages.open(e.job.body)),
    })),
  );
}

const cluster = (rules: unknown[]) => t.storage.rules.set({ kind: 'cluster' }, rules as Rule[]);
const when = (subject: string) => [{ field: 'Subject', op: 'is', value: subject }];

beforeEach(async () => {
  t = await tempStorage();
  await seedDomain(t.storage.directory, 'example.com', ['alice', 'bob']);
});
afterEach(async () => {
  await t.cleanup();
});

describe('cluster rules at enqueue', () => {
  it('enqueues the message unchanged when there are no cluster rules', async () => {
    const r = await accept();
    expect(r).toMatchObject({ ok: true, stored: true });
    const [q] = await queued();
    expect(q!.body.endsWith(MESSAGE)).toBe(true);
    expect(q!.job.body.key).toBe(q!.job.id);
  });

  it('adds headers to the enqueued message (stored again, the first body deleted)', async () => {
    await cluster([
      {
        name: 'mark',
        priority: 1,
        conditions: when('Offer'),
        actions: [
          { action: 'add header', header: 'X-Scanned', value: 'cluster' },
          { action: 'tag subject', tag: '[ad]' },
        ],
      },
    ]);
    const r = await accept();
    expect(r).toMatchObject({ ok: true, stored: true });
    const [q] = await queued();
    expect(q!.body).toContain('Subject: [ad] Offer\r\nX-Scanned: cluster\r\n\r\nBuy now');
    expect(q!.job.body.key).not.toBe(q!.job.id);
    expect(await t.storage.messages.exists(q!.job.id)).toBe(false);
  });

  it('rejects with 550 5.7.1 and the rule text, leaving nothing queued or stored', async () => {
    await cluster([
      {
        name: 'no ads',
        priority: 1,
        conditions: when('Offer'),
        actions: [{ action: 'reject', text: 'No advertising' }],
      },
    ]);
    const r = await accept();
    expect(r).toMatchObject({
      ok: false,
      reason: 'rejected',
      reply: { code: 550, enhanced: '5.7.1', text: 'No advertising' },
    });
    expect(await queued()).toEqual([]);
    expect(await t.storage.messages.exists(`01KB00000000000000${String(seq).padStart(2, '0')}`)).toBe(false);
  });

  it('discards: accepted, nothing queued', async () => {
    await cluster([
      { name: 'bin', priority: 1, conditions: when('Offer'), actions: [{ action: 'discard' }] },
    ]);
    expect(await accept()).toMatchObject({ ok: true, stored: false });
    expect(await queued()).toEqual([]);
  });

  it('redirects: a RULE job to the new recipient instead of the message', async () => {
    await cluster([
      {
        name: 'retired',
        priority: 9,
        conditions: [{ field: 'Any Recipient', op: 'is', value: 'alice@example.com' }],
        actions: [{ action: 'redirect', to: ['bob@example.com'] }, { action: 'stop' }],
      },
    ]);
    expect(await accept()).toMatchObject({ ok: true, stored: false });
    const [q, ...rest] = await queued();
    expect(rest).toEqual([]);
    expect(q!.job).toMatchObject({
      source: 'RULE',
      envelope: { mailFrom: 'sender@elsewhere.org', recipients: [{ address: 'bob@example.com' }] },
    });
    expect(q!.body.startsWith('X-Strato-Loop: postmaster@mx.test\r\n')).toBe(true);
  });

  it('deletes the bodies it stored when storing a generated message fails (the caller answers 451)', async () => {
    await cluster([
      {
        name: 'mark and copy',
        priority: 1,
        conditions: [],
        actions: [
          { action: 'add header', header: 'X-Scanned', value: 'cluster' },
          { action: 'mirror', to: ['bob@example.com'] },
        ],
      },
    ]);
    const s = t.storage;
    const ref = await s.messages.put('01KB00000000000000F1', Readable.from([Buffer.from(MESSAGE)]));
    const keys: string[] = [];
    const failSecondPut: MessageStore = {
      open: (r) => s.messages.open(r),
      delete: (r) => s.messages.delete(r),
      exists: (k) => s.messages.exists(k),
      put: (key, body) => {
        keys.push(key);
        return keys.length === 2 ? Promise.reject(new Error('disk full')) : s.messages.put(key, body);
      },
    };
    const job: QueueJob = {
      id: '01KB00000000000000F1',
      source: 'SMTP',
      createdAt: 0,
      body: ref,
      envelope: {
        mailFrom: 'sender@elsewhere.org',
        recipients: [
          {
            address: 'alice@example.com',
            original: 'alice@example.com',
            state: 'pending',
            attempts: 0,
            updatedAt: 0,
          },
        ],
      },
      attempts: 0,
    };
    const deps = {
      store: s.rules,
      autoReplies: s.autoReplies,
      directory: s.directory,
      messages: failSecondPut,
      clock: t.clock,
      logger: silentLogger,
      postmaster: 'postmaster@mx.test',
    };
    await expect(applyClusterRules(deps, job)).rejects.toThrow('disk full');
    expect(keys).toHaveLength(2);
    expect(await s.messages.exists(keys[0]!)).toBe(false);
    expect(await s.messages.exists(job.id)).toBe(true);
  });

  it('mirrors: the message and a RULE copy, enqueued together', async () => {
    await cluster([
      { name: 'hold', priority: 1, conditions: [], actions: [{ action: 'mirror', to: ['bob@example.com'] }] },
    ]);
    expect(await accept()).toMatchObject({ ok: true, stored: true });
    expect((await queued()).map((q) => q.job.source).sort()).toEqual(['RULE', 'SMTP']);
  });
});

describe('sender limits at acceptance', () => {
  const sender = (maxMailOutSize: number | null, mailOutFlow: [number, number] | null) => ({
    sender: { account: 'alice@example.com', maxMailOutSize, mailOutFlow },
  });

  it('refuses a message over MaxMailOutSize with 552 5.3.4 naming the limit', async () => {
    const r = await accept(sender(20, null));
    expect(r).toMatchObject({
      ok: false,
      reason: 'too-big',
      reply: {
        code: 552,
        enhanced: '5.3.4',
        text: "<alice@example.com>: message size exceeds the sender's MaxMailOutSize of 20 bytes",
      },
    });
  });

  it('counts MailOutFlow once per accepted message and refuses beyond it with 452 4.7.1', async () => {
    expect(await accept(sender(null, [2, 3600]))).toMatchObject({ ok: true });
    expect(await accept(sender(null, [2, 3600]))).toMatchObject({ ok: true });
    expect(await accept(sender(null, [2, 3600]))).toMatchObject({
      ok: false,
      reason: 'limit',
      reply: {
        code: 452,
        enhanced: '4.7.1',
        text: '<alice@example.com>: MailOutFlow limit of 2 messages per 3600 seconds reached, try again later',
      },
    });
    expect(await queued()).toHaveLength(2);
    expect(await t.storage.counters.peek(outflowKey('alice@example.com'), 3600)).toBe(2);
  });

  it('does not count a message the cluster rules reject', async () => {
    await cluster([
      {
        name: 'no ads',
        priority: 1,
        conditions: when('Offer'),
        actions: [{ action: 'reject', text: 'No advertising' }],
      },
    ]);
    await accept(sender(null, [5, 3600]));
    expect(await t.storage.counters.peek(outflowKey('alice@example.com'), 3600)).toBe(0);
  });
});

describe('cluster rules on generated mail (queue sink in queue mode)', () => {
  const screened = () => {
    const s = t.storage;
    const rulesDeps = {
      store: s.rules,
      autoReplies: s.autoReplies,
      directory: s.directory,
      messages: s.messages,
      clock: t.clock,
      logger: silentLogger,
      postmaster: 'postmaster@mx.test',
    };
    return queueSink({
      queue: s.queue,
      messages: s.messages,
      directory: s.directory,
      clock: t.clock,
      logger: silentLogger,
      clusterRules: (job) => applyClusterRules(rulesDeps, job),
    });
  };
  const generated = (id: string, subject: string) => ({
    id,
    mailFrom: 'alice@example.com',
    recipients: ['bob@example.com'],
    openBody: async () => Readable.from([Buffer.from(`Subject: ${subject}\r\n\r\nfrom a rule\r\n`)]),
  });

  it('applies them once, with source RULE, and enqueues under the derived id', async () => {
    await cluster([
      {
        name: 'mark rule mail',
        priority: 1,
        conditions: [{ field: 'Source', op: 'is', value: 'RULE' }],
        actions: [{ action: 'add header', header: 'X-Rule-Mail', value: 'seen' }],
      },
    ]);
    await screened().submit(generated('01KB00000000000000G1', 'Offer'));
    const [q, ...rest] = await queued();
    expect(rest).toEqual([]);
    expect(q!.job).toMatchObject({ id: '01KB00000000000000G1', source: 'RULE' });
    expect(q!.body.match(/^X-Rule-Mail: seen\r$/gm)).toHaveLength(1);
    // The unedited body was replaced by the edited one.
    expect(await t.storage.messages.exists('01KB00000000000000G1')).toBe(false);
  });

  it('drops a generated message they reject, leaving no body', async () => {
    await cluster([
      { name: 'no', priority: 1, conditions: when('Offer'), actions: [{ action: 'reject', text: 'no' }] },
    ]);
    await screened().submit(generated('01KB00000000000000G2', 'Offer'));
    expect(await queued()).toEqual([]);
    expect(await t.storage.messages.exists('01KB00000000000000G2')).toBe(false);
  });

  it('enqueues what they generate with it, and does not screen that again', async () => {
    await cluster([
      {
        name: 'copy',
        priority: 1,
        conditions: when('Offer'),
        actions: [{ action: 'mirror', to: ['alice@example.com'] }],
      },
    ]);
    await screened().submit(generated('01KB00000000000000G3', 'Offer'));
    const jobs = (await queued()).map((q) => q.job);
    expect(jobs.map((j) => j.source)).toEqual(['RULE', 'RULE']);
    expect(jobs.map((j) => j.envelope.recipients[0]!.address).sort()).toEqual([
      'alice@example.com',
      'bob@example.com',
    ]);
  });
});
