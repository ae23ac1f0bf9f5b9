/**
 * The backend's rule application through deliverToAccounts on real embedded storage (TestClock):
 * filing, marks and header edits in the stored copy, reject and discard outcomes, generated mail
 * in the shared queue (derived ids, resolved recipients, SRS for external redirects), vacation
 * once per sender, the hourly generation limit, loop protection, and MailInpFlow at delivery.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { srsReverse } from '../mail/srs.ts';
import { type LogFields, type Logger, silentLogger } from '../ports/logger.ts';
import type { Rule } from '../rules/index.ts';
import { queueSink } from '../rules-runner/generated-mail-sink.ts';
import { derivedQueueId } from '../util/ids.ts';
import { type DeliverDeps, deliverToAccounts } from './deliver-to-accounts.ts';

const SECRET = 'a-test-secret-of-some-length';
const MESSAGE =
  'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\nMessage-ID: <m1@example.org>\r\n\r\nHi Alice\r\n';

let t: TempStorage;
let events: LogFields[];

function recorder(): Logger {
  const logger: Logger = {
    debug: () => {},
    info: (f) => events.push(f),
    warn: (f) => events.push(f),
    error: (f) => events.push(f),
    child: () => logger,
  };
  return logger;
}

function deps(over: { generatedPerHour?: number } = {}): DeliverDeps {
  const s = t.storage;
  return {
    backendId: 'b1',
    directory: s.directory,
    leases: s.leases,
    mailboxes: s.mailboxes,
    clock: t.clock,
    logger: recorder(),
    leaseTtlMs: 60_000,
    counters: s.counters,
    rules: {
      store: s.rules,
      autoReplies: s.autoReplies,
      counters: s.counters,
      sink: queueSink({ queue: s.queue, messages: s.messages, directory: s.directory, clock: t.clock }),
      srsSecret: SECRET,
      ...over,
    },
  };
}

let seq = 0;
async function deliver(
  to: string,
  opts: { body?: string; from?: string; source?: 'SMTP' | 'RULE'; d?: DeliverDeps } = {},
) {
  const body = opts.body ?? MESSAGE;
  const deliveryId = `01KB00000000000000${String(++seq).padStart(2, '0')}`;
  const outcomes = await deliverToAccounts(opts.d ?? deps(), {
    deliveryId,
    mailFrom: opts.from ?? 'bob@example.org',
    recipients: [to],
    size: Buffer.byteLength(body),
    ...(opts.source ? { source: opts.source } : {}),
    openBody: async () => Readable.from([Buffer.from(body)]),
  });
  return { deliveryId, outcome: outcomes.get(to)! };
}

async function stored(account: string, folder = 'INBOX') {
  const out = [];
  for (const m of await t.storage.mailboxes.list(account, folder)) {
    out.push({ flags: m.flags, body: await text((await t.storage.mailboxes.read(account, folder, m.uid))!) });
  }
  return out;
}

async function queued() {
  return Promise.all(
    (await t.storage.queue.list()).map(async (e) => ({
      job: e.job,
      body: await text(await t.storage.messages.open(e.job.body)),
    })),
  );
}

const rules = (address: string, set: unknown[]) =>
  t.storage.rules.set({ kind: 'account', address }, set as Rule[]);

beforeEach(async () => {
  events = [];
  t = await tempStorage();
  const d = t.storage.directory;
  await d.addDomain({ name: 'example.com', mailToUnknown: { action: 'reject' }, defaults: {}, createdAt: 0 });
  for (const name of ['alice', 'bob', 'carol']) {
    await d.addAccount({
      address: `${name}@example.com`,
      domain: 'example.com',
      name,
      realName: name.toUpperCase(),
      settings: {},
      createdAt: 0,
    });
  }
  await d.addAlias({ address: 'robert@example.com', account: 'bob@example.com' });
});
afterEach(async () => {
  await t.cleanup();
});

describe('deliverToAccounts with domain and account rules', () => {
  it('files, marks and edits the stored copy (domain rules first, then account rules)', async () => {
    await t.storage.rules.set({ kind: 'domain', name: 'example.com' }, [
      {
        name: 'tag',
        priority: 5,
        conditions: [{ field: 'Source', op: 'is', value: 'SMTP' }],
        actions: [
          { action: 'add header', header: 'X-Strato-External', value: 'yes' },
          { action: 'tag subject', tag: '[EXT]' },
        ],
      },
    ]);
    await rules('alice@example.com', [
      {
        name: 'lunch',
        priority: 'highest',
        conditions: [{ field: 'Subject', op: 'is', value: 'lunch*' }],
        actions: [
          { action: 'store', folder: 'Food' },
          { action: 'mark', flags: ['Seen', 'Flagged'] },
        ],
      },
    ]);
    const { outcome } = await deliver('alice@example.com');
    expect(outcome.kind).toBe('delivered');
    expect(await stored('alice@example.com')).toEqual([]);
    const [food] = await stored('alice@example.com', 'Food');
    expect(food!.flags).toEqual(['\\Seen', '\\Flagged']);
    expect(food!.body).toContain('Subject: [EXT] Lunch?\r\n');
    expect(food!.body).toContain('X-Strato-External: yes\r\n\r\nHi Alice\r\n');
  });

  it('tests the source the channel passed', async () => {
    await rules('alice@example.com', [
      {
        name: 'rule mail to Auto',
        priority: 1,
        conditions: [{ field: 'Source', op: 'is', value: 'RULE' }],
        actions: [{ action: 'store', folder: 'Auto' }],
      },
    ]);
    await deliver('alice@example.com', { source: 'RULE' });
    await deliver('alice@example.com');
    expect(await stored('alice@example.com', 'Auto')).toHaveLength(1);
    expect(await stored('alice@example.com')).toHaveLength(1);
  });

  it('answers a Reject permanently with 550 5.7.1 and the rule text, storing nothing', async () => {
    await rules('alice@example.com', [
      { name: 'no', priority: 1, conditions: [], actions: [{ action: 'reject', text: 'Not here' }] },
    ]);
    const { outcome } = await deliver('alice@example.com');
    expect(outcome).toEqual({ kind: 'permanent', reply: { code: 550, enhanced: '5.7.1', text: 'Not here' } });
    expect(await t.storage.mailboxes.folders('alice@example.com')).toEqual([]);
  });

  it('discards: delivered, nothing stored or sent', async () => {
    await rules('alice@example.com', [
      { name: 'bin', priority: 1, conditions: [], actions: [{ action: 'discard' }] },
    ]);
    expect((await deliver('alice@example.com')).outcome.kind).toBe('delivered');
    expect(await t.storage.mailboxes.folders('alice@example.com')).toEqual([]);
    expect(await queued()).toEqual([]);
    expect(events.some((e) => e.event === 'backend.not_stored' && e.because === 'discard')).toBe(true);
  });

  it('redirects through the queue: derived id, source RULE, alias resolved, original headers kept', async () => {
    await rules('alice@example.com', [
      {
        name: 'away',
        priority: 1,
        conditions: [],
        actions: [{ action: 'redirect', to: ['robert@example.com'] }],
      },
    ]);
    const { deliveryId } = await deliver('alice@example.com');
    expect(await stored('alice@example.com')).toEqual([]);
    const [q] = await queued();
    expect(q!.job).toMatchObject({
      source: 'RULE',
      envelope: {
        mailFrom: 'bob@example.org',
        recipients: [{ address: 'bob@example.com', original: 'robert@example.com', state: 'pending' }],
      },
    });
    expect(q!.job.id).toBe(derivedQueueId(deliveryId, `${deliveryId}|alice@example.com|account:0:0`));
    expect(q!.body).toBe(`X-Strato-Loop: alice@example.com\r\n${MESSAGE}`);
  });

  it('gives a redirect to an external address an SRS return path that reverses to the account', async () => {
    await rules('alice@example.com', [
      {
        name: 'out',
        priority: 1,
        conditions: [],
        actions: [{ action: 'redirect', to: ['alice@gmail.example'] }],
      },
    ]);
    await deliver('alice@example.com');
    const [q] = await queued();
    const from = q!.job.envelope.mailFrom;
    expect(from).toMatch(/^alice\+srs0=/);
    expect(srsReverse(from, SECRET, t.clock.now())).toEqual({
      ok: true,
      account: 'alice@example.com',
      sender: 'bob@example.org',
    });
    // A bounce to that address reaches the forwarding account.
    await rules('alice@example.com', []);
    expect((await deliver(from, { from: '' })).outcome.kind).toBe('delivered');
    expect(await stored('alice@example.com')).toHaveLength(1);
  });

  it('forwards, mirrors and replies as the account', async () => {
    await rules('alice@example.com', [
      {
        name: 'all three',
        priority: 1,
        conditions: [],
        actions: [
          { action: 'mirror', to: ['carol@example.com'] },
          { action: 'forward', to: ['carol@example.com'] },
          { action: 'reply', text: 'Got it' },
        ],
      },
    ]);
    await deliver('alice@example.com');
    expect(await stored('alice@example.com')).toEqual([]);
    const jobs = (await queued()).map((q) => ({
      from: q.job.envelope.mailFrom,
      to: q.job.envelope.recipients[0]!.address,
      body: q.body,
    }));
    expect(jobs).toHaveLength(3);
    expect(jobs.find((j) => j.body.startsWith('Resent-From'))).toMatchObject({
      from: 'alice@example.com',
      to: 'carol@example.com',
    });
    expect(jobs.find((j) => j.body.includes('Subject: Fwd: Lunch?'))).toMatchObject({
      from: 'alice@example.com',
    });
    expect(jobs.find((j) => j.body.includes('Auto-Submitted: auto-replied'))).toMatchObject({
      from: '',
      to: 'bob@example.org',
    });
  });

  it('sends a vacation reply once per sender per period', async () => {
    await rules('alice@example.com', [
      { name: 'away', priority: 1, conditions: [], actions: [{ action: 'vacation', text: 'Away', days: 7 }] },
    ]);
    await deliver('alice@example.com');
    await deliver('alice@example.com');
    t.clock.advance(8 * 86_400_000);
    await deliver('alice@example.com');
    expect(
      (await queued()).filter((q) => q.job.envelope.recipients[0]!.address === 'bob@example.org'),
    ).toHaveLength(2);
    expect(await stored('alice@example.com')).toHaveLength(3);
    expect(events.filter((e) => e.event === 'rules.vacation_skipped')).toHaveLength(1);
  });

  it('answers a vacation reply to mail To an alias of the account (read from the directory), not Bcc', async () => {
    await rules('bob@example.com', [
      { name: 'away', priority: 1, conditions: [], actions: [{ action: 'vacation', text: 'Away', days: 7 }] },
    ]);
    // Delivered as bob@ (the queue resolved the alias), addressed To the alias robert@ only.
    const toAlias = MESSAGE.replace('To: alice@example.com', 'To: Robert <robert@example.com>');
    await deliver('bob@example.com', { body: toAlias, from: 'dave@example.org' });
    // Neither bob@ nor one of its aliases in To/Cc: a Bcc copy, not answered.
    await deliver('bob@example.com', { body: MESSAGE, from: 'erin@example.org' });
    const replies = (await queued()).map((q) => q.job.envelope.recipients[0]!.address);
    expect(replies).toEqual(['dave@example.org']);
    expect(await stored('bob@example.com')).toHaveLength(2);
    expect(events.some((e) => e.event === 'rules.evaluated')).toBe(true);
  });

  it('drops generated mail over the hourly limit, delivery goes on', async () => {
    await rules('alice@example.com', [
      {
        name: 'copy',
        priority: 1,
        conditions: [],
        actions: [{ action: 'mirror', to: ['carol@example.com'] }],
      },
    ]);
    const d = deps({ generatedPerHour: 2 });
    for (let i = 0; i < 3; i++)
      expect((await deliver('alice@example.com', { d })).outcome.kind).toBe('delivered');
    expect(await queued()).toHaveLength(2);
    expect(await stored('alice@example.com')).toHaveLength(3);
    expect(events.filter((e) => e.event === 'rules.generated_limited')).toHaveLength(1);
  });

  it('does not generate again for a message that already carries the account loop mark', async () => {
    await rules('alice@example.com', [
      {
        name: 'away',
        priority: 1,
        conditions: [],
        actions: [{ action: 'redirect', to: ['bob@example.com'] }],
      },
    ]);
    await deliver('alice@example.com', { body: `X-Strato-Loop: alice@example.com\r\n${MESSAGE}` });
    expect(await queued()).toEqual([]);
    expect(await stored('alice@example.com')).toHaveLength(1);
    expect(events.find((e) => e.event === 'rules.loop_blocked')).toMatchObject({
      account: 'alice@example.com',
    });
  });

  it('answers MailInpFlow at delivery with 450 4.2.1 naming the limit', async () => {
    await t.storage.directory.updateAccountSettings('alice@example.com', { MailInpFlow: [1, 3600] });
    expect((await deliver('alice@example.com')).outcome.kind).toBe('delivered');
    expect((await deliver('alice@example.com')).outcome).toEqual({
      kind: 'temporary',
      reply: {
        code: 450,
        enhanced: '4.2.1',
        text: '<alice@example.com>: MailInpFlow limit of 1 messages per 3600 seconds reached, try again later',
      },
    });
  });

  it('delivers to the INBOX without rules deps (the Lambda handler and older wiring)', async () => {
    await rules('alice@example.com', [
      { name: 'bin', priority: 1, conditions: [], actions: [{ action: 'discard' }] },
    ]);
    const { rules: _ignored, ...plain } = deps();
    expect((await deliver('alice@example.com', { d: { ...plain, logger: silentLogger } })).outcome.kind).toBe(
      'delivered',
    );
    expect(await stored('alice@example.com')).toHaveLength(1);
  });
});
