/**
 * The rules runner on real embedded storage (rule store, vacation memory, counters, message store,
 * directory, queue; TestClock): sets run in the order given, no body read without rules, invalid
 * stored sets skipped, generated mail handed to the sink under derived ids with the original's
 * envelope traits only when it carries the original, the hourly limit, vacation memory, the
 * caller's return path, sink faults; the sinks that store generated mail; SRS return paths.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { srsReverse } from '../mail/srs.ts';
import type { LogFields, Logger } from '../ports/logger.ts';
import type { RuleSetRef, RuleStore } from '../ports/rule-store.ts';
import { type Rule, RuleSetError } from '../rules/index.ts';
import { derivedQueueId } from '../util/ids.ts';
import {
  collectingSink,
  type GeneratedMailSink,
  type GeneratedSubmission,
  queueSink,
} from './generated-mail-sink.ts';
import { srsReturnPath } from './return-path.ts';
import {
  evaluateRuleSets,
  INBOX_PLAN,
  type RulesRun,
  type RunnerDeps,
  submitGenerated,
} from './run-rules.ts';

const MESSAGE =
  'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\nMessage-ID: <m1@example.org>\r\n\r\nHi\r\n';
const SECRET = 'a-test-secret-of-some-length';
let t: TempStorage;
let events: LogFields[];
let opened: number;

const recorder: Logger = {
  debug: () => {},
  info: (f) => events.push(f),
  warn: (f) => events.push(f),
  error: (f) => events.push(f),
  child: () => recorder,
};

function deps(store: RuleStore = t.storage.rules): RunnerDeps {
  return { store, autoReplies: t.storage.autoReplies, clock: t.clock, logger: recorder };
}

function run(over: Partial<RulesRun> = {}): RulesRun {
  return {
    sets: [
      { kind: 'domain', name: 'example.com' },
      { kind: 'account', address: 'alice@example.com' },
    ],
    subject: {
      deliveryId: '01KB0000000000000001',
      mailFrom: 'bob@example.org',
      source: 'SMTP',
      size: MESSAGE.length,
      openBody: async () => {
        opened += 1;
        return Readable.from([Buffer.from(MESSAGE)]);
      },
      smtputf8: true,
      bodyType: '8BITMIME',
    },
    recipients: ['alice@example.com'],
    owner: { address: 'alice@example.com', name: 'Alice' },
    logFields: { deliveryId: '01KB0000000000000001', account: 'alice@example.com' },
    ...over,
  };
}

/** A sink that keeps what it is given, with the bytes read once. */
function recordingSink(): GeneratedMailSink & { got: (GeneratedSubmission & { body: string })[] } {
  const got: (GeneratedSubmission & { body: string })[] = [];
  return {
    mode: 'queue',
    got,
    async submit(m) {
      got.push({ ...m, body: await text(await m.openBody()) });
    },
  };
}

const domainRules = (rules: unknown[]) =>
  t.storage.rules.set({ kind: 'domain', name: 'example.com' }, rules as Rule[]);
const accountRules = (rules: unknown[]) =>
  t.storage.rules.set({ kind: 'account', address: 'alice@example.com' }, rules as Rule[]);
const always = (name: string, actions: unknown[]) => ({ name, priority: 1, conditions: [], actions });

beforeEach(async () => {
  events = [];
  opened = 0;
  t = await tempStorage();
  await seedDomain(t.storage.directory, 'example.com', ['alice', 'carol'], {
    mailToUnknown: { action: 'discard' },
  });
});
afterEach(async () => {
  await t.cleanup();
});

describe('evaluateRuleSets', () => {
  it('answers the INBOX plan without reading the message when no set has rules', async () => {
    expect(await evaluateRuleSets(deps(), run())).toBe(INBOX_PLAN);
    expect(opened).toBe(0);
    expect(events).toEqual([]);
  });

  it('runs the sets in the order given and logs what matched with the run fields', async () => {
    await domainRules([always('tag', [{ action: 'tag subject', tag: '[EXT]' }])]);
    await accountRules([always('file', [{ action: 'store', folder: 'Food' }])]);
    const plan = await evaluateRuleSets(deps(), run());
    expect(plan.trace.map((r) => `${r.scope}:${r.name}`)).toEqual(['domain:tag', 'account:file']);
    expect(plan.fate).toEqual({ kind: 'deliver', folders: ['Food'] });
    expect(plan.headerEdits).toEqual([{ kind: 'tag subject', tag: '[EXT]' }]);
    expect(opened).toBe(1);
    expect(events).toContainEqual({
      event: 'rules.evaluated',
      deliveryId: '01KB0000000000000001',
      account: 'alice@example.com',
      matched: ['domain:tag', 'account:file'],
      fate: 'deliver',
      folders: ['Food'],
    });
  });

  it('skips a stored set that no longer validates, logs it, and runs the others', async () => {
    await accountRules([always('bin', [{ action: 'discard' }])]);
    const broken: RuleStore = {
      get: (ref: RuleSetRef) =>
        ref.kind === 'domain' ? Promise.reject(new RuleSetError(['bad'])) : t.storage.rules.get(ref),
      set: (ref, rules) => t.storage.rules.set(ref, rules),
    };
    const plan = await evaluateRuleSets(deps(broken), run());
    expect(plan.fate).toEqual({ kind: 'drop', because: 'discard' });
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'rules.invalid_stored',
        set: 'domain example.com',
        problems: ['bad'],
      }),
    );
  });

  it('propagates a rule store fault', async () => {
    const failing: RuleStore = { get: () => Promise.reject(new Error('disk')), set: async () => {} };
    await expect(evaluateRuleSets(deps(failing), run())).rejects.toThrow('disk');
  });

  it('blocks generation for a message that carries the owner loop mark, and logs it', async () => {
    await accountRules([always('copy', [{ action: 'mirror', to: ['carol@example.com'] }])]);
    const marked = `X-Strato-Loop: alice@example.com\r\n${MESSAGE}`;
    const subject = { ...run().subject, openBody: async () => Readable.from([Buffer.from(marked)]) };
    const plan = await evaluateRuleSets(deps(), run({ subject }));
    expect(plan.messages).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'rules.loop_blocked', account: 'alice@example.com' }),
    );
  });
});

describe('submitGenerated', () => {
  it('submits under ids derived from the delivery; only mail carrying the original keeps its traits', async () => {
    await accountRules([
      always('both', [
        { action: 'mirror', to: ['carol@example.com'] },
        { action: 'reply', text: 'Got it' },
      ]),
    ]);
    const plan = await evaluateRuleSets(deps(), run());
    const sink = recordingSink();
    const report = await submitGenerated(deps(), run(), plan, sink);
    const [mirror, reply] = sink.got;
    expect(report.submitted.map((s) => s.id)).toEqual([mirror!.id, reply!.id]);
    expect(mirror!.id).toBe(derivedQueueId('01KB0000000000000001', plan.messages[0]!.idSeed));
    expect(mirror).toMatchObject({ mailFrom: 'alice@example.com', smtputf8: true, bodyType: '8BITMIME' });
    expect(mirror!.body.endsWith(MESSAGE)).toBe(true);
    expect(reply).toMatchObject({ mailFrom: '', recipients: ['bob@example.org'] });
    expect(reply!.smtputf8).toBeUndefined();
    expect(reply!.bodyType).toBeUndefined();
    // A retried delivery regenerates the same ids (the queue then ignores the repeat).
    expect((await submitGenerated(deps(), run(), plan, recordingSink())).submitted.map((s) => s.id)).toEqual(
      report.submitted.map((s) => s.id),
    );
  });

  it('holds back mail over the owner hourly limit and logs it', async () => {
    await accountRules([always('copies', [{ action: 'mirror', to: ['carol@example.com'] }])]);
    const plan = await evaluateRuleSets(deps(), run());
    const sink = recordingSink();
    const hourly = { counters: t.storage.counters, perHour: 1 };
    expect((await submitGenerated(deps(), run(), plan, sink, { hourly })).limited).toEqual([]);
    const second = await submitGenerated(deps(), run(), plan, sink, { hourly });
    expect(second.submitted).toEqual([]);
    expect(second.limited).toHaveLength(1);
    expect(sink.got).toHaveLength(1);
    expect(events.filter((e) => e.event === 'rules.generated_limited')).toHaveLength(1);
  });

  it('answers a sender once per vacation period', async () => {
    await accountRules([always('away', [{ action: 'vacation', text: 'Away', days: 7 }])]);
    const plan = await evaluateRuleSets(deps(), run());
    const sink = recordingSink();
    expect((await submitGenerated(deps(), run(), plan, sink)).notAnsweredAgain).toBe(0);
    const again = await submitGenerated(deps(), run(), plan, sink);
    expect(again).toMatchObject({ submitted: [], notAnsweredAgain: 1 });
    expect(sink.got).toHaveLength(1);
  });

  it("uses the caller's return path", async () => {
    await accountRules([always('away', [{ action: 'redirect', to: ['carol@example.com'] }])]);
    const plan = await evaluateRuleSets(deps(), run());
    const sink = recordingSink();
    await submitGenerated(deps(), run(), plan, sink, { returnPath: async () => 'bounces@example.com' });
    expect(sink.got[0]!.mailFrom).toBe('bounces@example.com');
  });

  it('rejects when the sink does', async () => {
    await accountRules([always('copy', [{ action: 'mirror', to: ['carol@example.com'] }])]);
    const plan = await evaluateRuleSets(deps(), run());
    const failing: GeneratedMailSink = { mode: 'smtp', submit: () => Promise.reject(new Error('down')) };
    await expect(submitGenerated(deps(), run(), plan, failing)).rejects.toThrow('down');
  });
});

describe('sinks that store generated mail', () => {
  const submission = (to: string[], over: Partial<GeneratedSubmission> = {}): GeneratedSubmission => ({
    id: '01KB00000000000000G1',
    mailFrom: 'alice@example.com',
    recipients: to,
    openBody: async () => Readable.from([Buffer.from(MESSAGE)]),
    ...over,
  });
  const storeDeps = () => ({ messages: t.storage.messages, directory: t.storage.directory, clock: t.clock });

  it('collectingSink stores the body and keeps the job for the caller to enqueue', async () => {
    const sink = collectingSink(storeDeps());
    await sink.submit(submission(['carol@example.com'], { smtputf8: true }));
    const [job] = sink.jobs;
    expect(job).toMatchObject({
      id: '01KB00000000000000G1',
      source: 'RULE',
      envelope: {
        mailFrom: 'alice@example.com',
        smtputf8: true,
        recipients: [{ address: 'carol@example.com' }],
      },
    });
    expect(await text(await t.storage.messages.open(job!.body))).toBe(MESSAGE);
    expect(await t.storage.queue.list()).toEqual([]);
  });

  it('stores nothing for a message whose every recipient is discarded', async () => {
    const sink = collectingSink(storeDeps());
    await sink.submit(submission(['nobody@example.com']));
    expect(sink.jobs).toEqual([]);
    expect(await t.storage.messages.exists('01KB00000000000000G1')).toBe(false);
  });

  it('queueSink enqueues one job per message', async () => {
    await queueSink({ ...storeDeps(), queue: t.storage.queue }).submit(submission(['carol@example.com']));
    expect((await t.storage.queue.list()).map((e) => e.job.id)).toEqual(['01KB00000000000000G1']);
  });
});

describe('srsReturnPath', () => {
  const generated = (kind: 'redirect' | 'mirror', to: string) => ({
    kind,
    rule: 'r',
    mailFrom: kind === 'redirect' ? 'bob@example.org' : 'alice@example.com',
    recipients: [to],
    head: '',
    includesOriginal: true,
    tail: '',
    idSeed: 's',
  });
  const path = (srsSecret?: string) =>
    srsReturnPath(
      { directory: t.storage.directory, clock: t.clock, ...(srsSecret ? { srsSecret } : {}) },
      'alice@example.com',
    );

  it('keeps the sender of a redirect that stays in the cluster, and of anything else', async () => {
    expect(await path(SECRET)(generated('redirect', 'carol@example.com'))).toBe('bob@example.org');
    expect(await path(SECRET)(generated('mirror', 'x@gmail.example'))).toBe('alice@example.com');
  });

  it('rewrites the sender of a redirect leaving the cluster with SRS, or to the account without a secret', async () => {
    const srs = await path(SECRET)(generated('redirect', 'x@gmail.example'));
    expect(srsReverse(srs, SECRET, t.clock.now())).toEqual({
      ok: true,
      account: 'alice@example.com',
      sender: 'bob@example.org',
    });
    expect(await path()(generated('redirect', 'x@gmail.example'))).toBe('alice@example.com');
  });
});
