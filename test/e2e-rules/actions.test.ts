/**
 * Each rule action family through a running local cluster (2 frontends processing the queue,
 * 2 backends, compressed timers): store in a folder and mark, add header and tag subject (domain
 * then account rules, visible in the stored copy), redirect, forward, mirror, reply, vacation once
 * per sender across a backend SIGKILL, reject with exactly one DSN, discard, a redirect loop between
 * two accounts, SRS bounces, cluster rules at enqueue, and MailInpFlow at RCPT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { srsReverse } from '../../core/mail/srs.ts';
import type { RunningProcess } from '../support/cluster.ts';
import {
  accountRules,
  addAccounts,
  at,
  captured,
  DEMO,
  FAST_ENV,
  folder,
  mxSession,
  onTwoWorkers,
  send,
  setRules,
  startRulesCluster,
  waitCaptured,
  waitDrained,
  waitFolder,
  withStorage,
} from './support.ts';

let cluster: RunningProcess;
let dir: string;
let mx: number;

beforeAll(async () => {
  cluster = await startRulesCluster();
  dir = cluster.dataDir;
  mx = cluster.ports.mx;
  await addAccounts(dir, [
    'carol',
    'erin',
    'frank',
    'gina',
    'hank',
    'ivan',
    'judy',
    'kate',
    'liam',
    'mona',
    'nina',
    'oscar',
    'pete',
    'quinn',
    'rita',
    'sam',
    'tina',
    'vera',
  ]);
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

const ok = (reply: string) => expect(reply).toMatch(/^250 /);
const logged = (event: string, where: (l: Record<string, unknown>) => boolean = () => true) =>
  cluster.logs.filter((l) => l.event === event && where(l));

describe('filing actions', () => {
  it('stores in a folder (created) and marks it', async () => {
    await accountRules(dir, 'carol', [
      {
        name: 'Projects',
        priority: 5,
        conditions: [{ field: 'Subject', op: 'is', value: 'project *' }],
        actions: [
          { action: 'store', folder: 'Projects' },
          { action: 'mark', flags: ['Seen', 'Flagged'] },
        ],
      },
    ]);
    ok(await send(mx, { to: [at('carol')], subject: 'Project apollo' }));
    ok(await send(mx, { to: [at('carol')], subject: 'Other' }));
    const [filed] = await waitFolder(dir, at('carol'), 1, 'Projects');
    expect(filed!.flags).toEqual(['\\Seen', '\\Flagged']);
    expect(filed!.body).toContain('Subject: Project apollo');
    const [inbox] = await waitFolder(dir, at('carol'), 1);
    expect(inbox!.body).toContain('Subject: Other');
    expect(inbox!.flags).toEqual([]);
  });

  it('adds a header and tags the subject in the stored copy (domain rules, then account rules)', async () => {
    await withStorage(dir, (s) =>
      s.directory.addDomain({
        name: 'tagged.test',
        mailToUnknown: { action: 'reject' },
        defaults: {},
        createdAt: 0,
      }),
    );
    await withStorage(dir, (s) =>
      s.directory.addAccount({
        address: 'tina@tagged.test',
        domain: 'tagged.test',
        name: 'tina',
        settings: {},
        createdAt: 0,
      }),
    );
    await setRules(dir, { kind: 'domain', name: 'tagged.test' }, [
      {
        name: 'Tag external mail',
        priority: 5,
        conditions: [
          { field: 'Return-Path', op: 'not in', value: ['*@tagged.test'] },
          { field: 'Source', op: 'is', value: 'SMTP' },
        ],
        actions: [{ action: 'add header', header: 'X-Strato-External', value: 'yes' }],
      },
    ]);
    await setRules(dir, { kind: 'account', address: 'tina@tagged.test' }, [
      { name: 'tag', priority: 1, conditions: [], actions: [{ action: 'tag subject', tag: '[EXT]' }] },
    ]);
    ok(await send(mx, { to: ['tina@tagged.test'], subject: 'Quarterly numbers' }));
    const [m] = await waitFolder(dir, 'tina@tagged.test', 1);
    expect(m!.body).toContain('Subject: [EXT] Quarterly numbers\r\n');
    expect(m!.body).toMatch(/X-Strato-External: yes\r\n\r\nbody of Quarterly numbers/);
  });
});

describe('generated mail', () => {
  it('redirects: the target gets the original headers and the loop mark, the account nothing', async () => {
    await accountRules(dir, 'erin', [
      { name: 'to frank', priority: 1, conditions: [], actions: [{ action: 'redirect', to: [at('frank')] }] },
    ]);
    // Frank files rule-made mail apart: the queue job's source (RULE) reaches his backend's rules.
    await accountRules(dir, 'frank', [
      {
        name: 'generated',
        priority: 1,
        conditions: [{ field: 'Source', op: 'is', value: 'RULE' }],
        actions: [{ action: 'store', folder: 'From rules' }],
      },
    ]);
    ok(await send(mx, { to: [at('erin')], subject: 'Redirect me' }));
    const [m] = await waitFolder(dir, at('frank'), 1, 'From rules');
    expect(m!.body).toMatch(new RegExp(`^X-Strato-Loop: ${at('erin')}\r\nReceived: `));
    expect(m!.body).toContain('From: <sender@example.org>\r\n');
    expect(m!.body).toContain('Subject: Redirect me\r\n');
    await waitDrained(dir);
    expect(await folder(dir, at('erin'))).toEqual([]);
  });

  it('forwards as a new message from the account with the original attached', async () => {
    await accountRules(dir, 'gina', [
      { name: 'fwd', priority: 1, conditions: [], actions: [{ action: 'forward', to: [at('hank')] }] },
    ]);
    ok(await send(mx, { to: [at('gina')], subject: 'Forward me' }));
    const [m] = await waitFolder(dir, at('hank'), 1);
    expect(m!.body).toContain(`From: <${at('gina')}>`);
    expect(m!.body).toContain('Subject: Fwd: Forward me\r\n');
    expect(m!.body).toContain('Content-Type: message/rfc822');
    expect(m!.body).toContain('Subject: Forward me\r\n');
    await waitDrained(dir);
    expect(await folder(dir, at('gina'))).toEqual([]);
  });

  it('mirrors: a Resent copy goes out and normal delivery continues', async () => {
    await accountRules(dir, 'ivan', [
      { name: 'copy', priority: 1, conditions: [], actions: [{ action: 'mirror', to: [at('judy')] }] },
    ]);
    ok(await send(mx, { to: [at('ivan')], subject: 'Mirror me' }));
    const [copy] = await waitFolder(dir, at('judy'), 1);
    expect(copy!.body).toContain(`Resent-From: <${at('ivan')}>`);
    expect(copy!.body).toContain('Subject: Mirror me\r\n');
    expect((await waitFolder(dir, at('ivan'), 1))[0]!.body).toContain('Subject: Mirror me');
  });

  it('replies from the account to the sender, from <> with Auto-Submitted', async () => {
    await accountRules(dir, 'kate', [
      {
        name: 'thanks',
        priority: 1,
        conditions: [],
        actions: [{ action: 'reply', text: 'Thanks, Kate got it.' }],
      },
    ]);
    ok(await send(mx, { from: 'asker@example.org', to: [at('kate')], subject: 'A question' }));
    const [reply] = await waitCaptured(dir, (c) => c.recipients.includes('asker@example.org'));
    expect(reply!.mailFrom).toBe('');
    expect(reply!.body).toContain(`From: <${at('kate')}>`);
    expect(reply!.body).toContain('Subject: Re: A question\r\n');
    expect(reply!.body).toContain('Auto-Submitted: auto-replied\r\n');
    expect(reply!.body).toContain('In-Reply-To: <A.question@example.org>');
    expect(await waitFolder(dir, at('kate'), 1)).toHaveLength(1);
  });

  it('sends a vacation reply once per sender per period, across a backend SIGKILL', async () => {
    await accountRules(dir, 'liam', [
      {
        name: 'Vacation',
        priority: 5,
        conditions: [{ field: 'Human Generated', op: 'is', value: true }],
        actions: [{ action: 'vacation', text: 'Liam is away.', days: 7 }],
      },
    ]);
    const toS1 = (c: { recipients: readonly string[] }) => c.recipients.includes('s1@example.org');
    ok(await send(mx, { from: 's1@example.org', to: [at('liam')], subject: 'Vacation one' }));
    await waitCaptured(dir, toS1);
    // Kill the backend that holds liam's account; the supervisor restarts it.
    const owner = (await withStorage(dir, (s) => s.leases.get(at('liam'))))!.owner;
    const started = logged('backend.started', (l) => l.backendId === owner).at(-1)!;
    process.kill(started.pid as number, 'SIGKILL');
    await cluster.waitForLog(
      (l) => l.event === 'backend.started' && l.backendId === owner && l.pid !== started.pid,
      20_000,
    );
    ok(await send(mx, { from: 's1@example.org', to: [at('liam')], subject: 'Vacation two' }));
    ok(await send(mx, { from: 's2@example.org', to: [at('liam')], subject: 'Vacation three' }));
    await waitCaptured(dir, (c) => c.recipients.includes('s2@example.org'), 1, 20_000);
    await waitFolder(dir, at('liam'), 3, 'INBOX', 20_000);
    await waitDrained(dir);
    expect((await captured(dir)).filter(toS1)).toHaveLength(1);
    expect(logged('rules.vacation_skipped', (l) => l.account === at('liam'))).toHaveLength(1);
  });

  it('answers only mail naming the account or an alias in To or Cc: a Bcc copy gets no vacation reply', async () => {
    await accountRules(dir, 'vera', [
      {
        name: 'Away',
        priority: 5,
        conditions: [],
        actions: [{ action: 'vacation', text: 'Vera is away.', days: 7 }],
      },
    ]);
    await withStorage(dir, (s) => s.directory.addAlias({ address: at('v.alias'), account: at('vera') }));
    const bcc = {
      from: 'bcc1@example.org',
      to: [at('vera')],
      toHeader: '<team@example.org>',
      subject: 'Bcc copy',
    };
    ok(await send(mx, bcc));
    const cc = {
      from: 'cc1@example.org',
      to: [at('vera')],
      toHeader: '<team@example.org>',
      subject: 'Cc copy',
    };
    ok(await send(mx, { ...cc, headers: `Cc: Vera <${at('vera')}>\r\n` }));
    // Mail to an alias of the account (resolved to vera@ at intake) names the alias in To: answered.
    ok(await send(mx, { from: 'alias1@example.org', to: [at('v.alias')], subject: 'To the alias' }));
    await waitCaptured(dir, (c) => c.recipients.includes('cc1@example.org'));
    await waitCaptured(dir, (c) => c.recipients.includes('alias1@example.org'));
    await waitFolder(dir, at('vera'), 3);
    await waitDrained(dir);
    expect((await captured(dir)).filter((c) => c.recipients.includes('bcc1@example.org'))).toEqual([]);
  });

  it('gives a redirect to an external address an SRS return path; its bounce reaches the account', async () => {
    await accountRules(dir, 'quinn', [
      {
        name: 'out',
        priority: 1,
        conditions: [{ field: 'Human Generated', op: 'is', value: true }],
        actions: [{ action: 'redirect', to: ['quinn@elsewhere.example'] }],
      },
    ]);
    ok(await send(mx, { from: 'orig@example.org', to: [at('quinn')], subject: 'Goes out' }));
    const [out] = await waitCaptured(dir, (c) => c.recipients.includes('quinn@elsewhere.example'));
    expect(out!.mailFrom).toMatch(
      new RegExp(`^quinn\\+srs0=[a-z2-7]{8}=[a-z2-7]{2}=example\\.org=orig@${DEMO.replace(/\./g, '\\.')}$`),
    );
    expect(srsReverse(out!.mailFrom, FAST_ENV.STRATO_SRS_SECRET!, Date.now())).toMatchObject({
      ok: true,
      account: at('quinn'),
    });
    // The remote side bounces it to the SRS address: the forwarding account gets the bounce.
    ok(await send(mx, { from: '', to: [out!.mailFrom], subject: 'Undelivered Mail Returned to Sender' }));
    const [bounce] = await waitFolder(dir, at('quinn'), 1);
    expect(bounce!.body).toContain('Subject: Undelivered Mail Returned to Sender');
    // A forged SRS address is refused at RCPT.
    const forged = out!.mailFrom.replace(/srs0=[a-z2-7]{8}/, 'srs0=aaaaaaaa');
    expect(await send(mx, { from: '', to: [forged], subject: 'forged' })).toMatch(
      /^550 5\.7\.1 .*bad SRS hash/,
    );
  });
});

describe('reject, discard and loops', () => {
  it('Reject produces exactly one DSN, with the rule text', async () => {
    await accountRules(dir, 'mona', [
      {
        name: 'closed',
        priority: 1,
        conditions: [],
        actions: [{ action: 'reject', text: 'Mona no longer accepts mail here' }],
      },
    ]);
    ok(await send(mx, { from: 'rejected@example.org', to: [at('mona')], subject: 'Rejected' }));
    const [dsn] = await waitCaptured(dir, (c) => c.recipients.includes('rejected@example.org'));
    // Drained: no job is left that could still produce a second DSN.
    await waitDrained(dir);
    expect((await captured(dir)).filter((c) => c.recipients.includes('rejected@example.org'))).toHaveLength(
      1,
    );
    expect(dsn!.mailFrom).toBe('');
    expect(dsn!.body).toContain('Status: 5.7.1');
    expect(dsn!.body).toContain('Mona no longer accepts mail here');
    expect(await withStorage(dir, (s) => s.mailboxes.folders(at('mona')))).toEqual([]);
  });

  it('Discard accepts and stores nothing', async () => {
    await accountRules(dir, 'nina', [
      { name: 'bin', priority: 1, conditions: [], actions: [{ action: 'discard' }] },
    ]);
    ok(await send(mx, { to: [at('nina')], subject: 'Discarded' }));
    await cluster.waitForLog((l) => l.event === 'backend.not_stored' && l.account === at('nina'));
    await waitDrained(dir);
    expect(await withStorage(dir, (s) => s.mailboxes.folders(at('nina')))).toEqual([]);
  });

  it('stops a redirect loop between two accounts: one stored copy, reported, no DSN', async () => {
    await accountRules(dir, 'oscar', [
      { name: 'to pete', priority: 1, conditions: [], actions: [{ action: 'redirect', to: [at('pete')] }] },
    ]);
    await accountRules(dir, 'pete', [
      { name: 'to oscar', priority: 1, conditions: [], actions: [{ action: 'redirect', to: [at('oscar')] }] },
    ]);
    ok(await send(mx, { from: 'looper@example.org', to: [at('oscar')], subject: 'Loop' }));
    const [m] = await waitFolder(dir, at('oscar'), 1);
    await waitDrained(dir);
    expect(m!.body).toContain(`X-Strato-Loop: ${at('oscar')}\r\n`);
    expect(m!.body).toContain(`X-Strato-Loop: ${at('pete')}\r\n`);
    expect(await folder(dir, at('oscar'))).toHaveLength(1);
    expect(await folder(dir, at('pete'))).toEqual([]);
    expect(logged('rules.loop_blocked', (l) => l.account === at('oscar'))).toHaveLength(1);
    expect((await captured(dir)).filter((c) => c.recipients.includes('looper@example.org'))).toEqual([]);
  });
});

describe('cluster rules and inbound flow on the frontends', () => {
  it('runs cluster rules once at enqueue: headers added, reject answered at the end of DATA', async () => {
    await setRules(dir, { kind: 'cluster' }, [
      {
        name: 'no spam for sam',
        priority: 9,
        conditions: [
          { field: 'Any Recipient', op: 'is', value: at('sam') },
          { field: 'Subject', op: 'is', value: '*viagra*' },
        ],
        actions: [{ action: 'reject', text: 'Spam refused by policy' }],
      },
      {
        name: 'stamp sam',
        priority: 5,
        conditions: [{ field: 'Any Recipient', op: 'is', value: at('sam') }],
        actions: [{ action: 'add header', header: 'X-Cluster-Policy', value: 'seen' }],
      },
    ]);
    expect(await send(mx, { to: [at('sam')], subject: 'cheap viagra' })).toBe(
      '550 5.7.1 Spam refused by policy',
    );
    ok(await send(mx, { to: [at('sam')], subject: 'Hello Sam' }));
    const [m] = await waitFolder(dir, at('sam'), 1);
    expect(m!.body).toContain('X-Cluster-Policy: seen\r\n\r\nbody of Hello Sam');
    await setRules(dir, { kind: 'cluster' }, []);
  });

  it('answers MailInpFlow at RCPT with 450 4.2.1 naming the limit, counted across frontends', async () => {
    await withStorage(dir, (s) => s.directory.updateAccountSettings(at('rita'), { MailInpFlow: [2, 3600] }));
    const [a, b] = await onTwoWorkers(() => mxSession(mx));
    const rcpt = async (s: typeof a) => {
      await s.c.command('RSET');
      await s.c.command('MAIL FROM:<flood@example.org>');
      return (await s.c.command(`RCPT TO:<${at('rita')}>`)).last;
    };
    try {
      // One on each worker, then a third: the count is the cluster's, not a worker's.
      expect([await rcpt(a), await rcpt(b)]).toEqual(['250 2.1.5 Accepted', '250 2.1.5 Accepted']);
      const limit = `450 4.2.1 <${at('rita')}>: MailInpFlow limit of 2 messages per 3600 seconds reached, try again later`;
      expect(await rcpt(a)).toBe(limit);
      expect(await rcpt(b)).toBe(limit);
    } finally {
      a.c.close();
      b.c.close();
    }
  });
});
