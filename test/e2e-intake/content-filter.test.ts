import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountRules,
  addAccounts,
  at,
  folder,
  setRules,
  startRulesCluster,
  submission,
} from '../e2e-rules/support.ts';
import { eventually, queuedId, type RunningProcess, readQueue } from '../support/cluster.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import { GTUBE, RSPAMD_MISSING, rspamdBinary, TEST_SPAM_SUBJECT, TestRspamd } from '../support/rspamd.ts';
import { bodiesContaining as storedBodiesContaining } from '../support/stored-bodies.ts';

const binary = rspamdBinary();
if (!binary) console.warn(RSPAMD_MISSING);

const TIMEOUT_MS = 1500;
const rspamd = new TestRspamd();
let cluster: RunningProcess;
let silent: Server | undefined;

const message = (to: string, subject: string, body = `body of ${subject}`) =>
  `From: <bob@example.org>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n` +
  `Message-ID: <${subject.replace(/\W+/g, '.')}@e2e.test>\r\n\r\n${body}\r\n`;

/** One MX transaction from 127.0.0.1; the final reply (or the first refusal) and how long DATA took. */
async function sendRaw(to: string, text: string) {
  const c = await RawSmtp.connect(cluster.ports.mx);
  try {
    await c.read();
    await c.command('EHLO client.example.org');
    const mail = await c.command('MAIL FROM:<bob@example.org>');
    if (mail.code !== 250) return { reply: mail, ms: 0 };
    const rcpt = await c.command(`RCPT TO:<${to}>`);
    if (rcpt.code !== 250) return { reply: rcpt, ms: 0 };
    expect((await c.command('DATA')).code).toBe(354);
    const started = Date.now();
    const reply = await c.command(`${text}.`, 30_000);
    return { reply, ms: Date.now() - started };
  } finally {
    c.close();
  }
}

const stored = (account: string, subject: string, name = 'INBOX') =>
  eventually(
    async () =>
      (await folder(cluster.dataDir, account, name)).find((m) => m.body.includes(`Subject: ${subject}\r\n`))
        ?.body,
    20_000,
    `"${subject}" in ${account} ${name}`,
  );

/** Every stored body (files and inline bodies of the embedded storage) containing `text`. */
const bodiesContaining = (text: string) => storedBodiesContaining(cluster.dataDir, text);

describe.skipIf(!binary)('content filtering with rspamd', () => {
  beforeAll(async () => {
    await rspamd.start(binary!);
    cluster = await startRulesCluster({
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_HOSTNAME: 'mx.strato.test',
      STRATO_CONTENT_FILTER: `rspamd:${rspamd.url}`,
      STRATO_CONTENT_FILTER_TIMEOUT_MS: String(TIMEOUT_MS),
      STRATO_CONTENT_FILTER_BREAKER_FAILURES: '3',
      STRATO_CONTENT_FILTER_BREAKER_SECONDS: '600',
      // The "*" forward mode: rules' output is submitted to the frontends (XGENID, trusted).
      STRATO_GENERATED_MAIL: 'smtp',
      STRATO_TRUSTED_NETWORKS: '127.0.0.1/32',
    });
    await addAccounts(cluster.dataDir, ['carol', 'dave', 'erin', 'frank']);
  }, 120_000);

  afterAll(async () => {
    const result = await cluster?.stop();
    await rspamd.close();
    silent?.closeAllConnections();
    silent?.close();
    expect(result?.code).toBe(0);
  });

  it('refuses GTUBE at the end of DATA with 550 5.7.1 and rspamd reason; nothing stored or queued', async () => {
    const { reply } = await sendRaw(at('carol'), message(at('carol'), 'gtube', GTUBE));
    expect(reply.code).toBe(550);
    expect(reply.last).toMatch(/5\.7\.1 Message refused as spam: Gtube pattern/);
    expect(await bodiesContaining('GTUBE-STANDARD')).toEqual([]);
    expect(
      (await readQueue(cluster.dataDir)).filter((m) => m.job.envelope.mailFrom === 'bob@example.org'),
    ).toEqual([]);
    expect(cluster.logs.some((l) => l.event === 'filter.scanned' && l.action === 'reject')).toBe(true);
  });

  it('delivers a clean message with X-Spam-* headers and our filtered mark', async () => {
    const { reply } = await sendRaw(at('carol'), message(at('carol'), 'clean one', 'see you at lunch'));
    expect(reply.code).toBe(250);
    const body = await stored(at('carol'), 'clean one');
    expect(body).toMatch(/^X-Spam-Status: No, score=-?\d+\.\d\d required=50\.00\r\n/);
    expect(body).toContain('X-Spam-Flag: NO\r\n');
    expect(body).toContain('X-Spam-Action: no action\r\n');
    expect(body).toContain('X-Strato-Filtered: mx.strato.test\r\n');
  });

  it('an account rule on X-Spam-Flag files a high-score message into Junk', async () => {
    await accountRules(cluster.dataDir, 'dave', [
      {
        name: 'Spam to Junk',
        priority: 5,
        conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
        actions: [{ action: 'store', folder: 'Junk' }],
      },
    ]);
    const spam = `${TEST_SPAM_SUBJECT} cheap offer`;
    expect((await sendRaw(at('dave'), message(at('dave'), spam))).reply.code).toBe(250);
    expect((await sendRaw(at('dave'), message(at('dave'), 'dave plain'))).reply.code).toBe(250);
    const junk = await stored(at('dave'), spam, 'Junk');
    expect(junk).toMatch(/^X-Spam-Status: Yes, score=\d+\.\d\d required=50\.00\r\n/);
    expect(junk).toContain('X-Spam-Flag: YES\r\n');
    expect(await stored(at('dave'), 'dave plain')).toContain('X-Spam-Flag: NO\r\n');
  });

  it('Spam Score and Filter Action conditions: an account rule and a cluster rule see the verdict', async () => {
    await accountRules(cluster.dataDir, 'erin', [
      {
        name: 'High score to Junk',
        priority: 5,
        conditions: [{ field: 'Spam Score', op: 'greater than', value: 15 }],
        actions: [{ action: 'store', folder: 'Junk' }],
      },
    ]);
    await setRules(cluster.dataDir, { kind: 'cluster' }, [
      {
        name: 'mark filtered spam',
        priority: 5,
        conditions: [{ field: 'Filter Action', op: 'in', value: ['add header', 'rewrite subject'] }],
        actions: [{ action: 'add header', header: 'X-Cluster-Spam', value: 'yes' }],
      },
    ]);
    try {
      const spam = `${TEST_SPAM_SUBJECT} erin`;
      expect((await sendRaw(at('erin'), message(at('erin'), spam))).reply.code).toBe(250);
      expect((await sendRaw(at('erin'), message(at('erin'), 'erin plain'))).reply.code).toBe(250);
      expect(await stored(at('erin'), spam, 'Junk')).toContain('X-Cluster-Spam: yes\r\n');
      expect(await stored(at('erin'), 'erin plain')).not.toContain('X-Cluster-Spam');
    } finally {
      await setRules(cluster.dataDir, { kind: 'cluster' }, []);
    }
  });

  it('"*" forward mode: a redirected copy (XGENID back through a frontend) is not filtered again', async () => {
    await accountRules(cluster.dataDir, 'frank', [
      {
        name: 'to carol',
        priority: 5,
        conditions: [{ field: 'Subject', op: 'is', value: 'fwd*' }],
        actions: [{ action: 'redirect', to: [at('carol')] }],
      },
    ]);
    const { reply } = await sendRaw(at('frank'), message(at('frank'), 'fwd once'));
    expect(reply.code).toBe(250);
    const original = queuedId(reply.last);
    expect(original).toBeDefined();
    const copy = await stored(at('carol'), 'fwd once');
    expect(copy.match(/^X-Strato-Filtered: /gm)).toHaveLength(1);
    expect(copy.match(/^X-Spam-Status: /gm)).toHaveLength(1);
    const generated = cluster.logs.filter((l) => l.event === 'rules.generated' && l.via === 'smtp');
    const ids = new Set(generated.map((l) => l.id as string));
    expect(ids.size).toBeGreaterThanOrEqual(1);
    expect(cluster.logs.some((l) => l.event === 'smtp.accepted' && ids.has(l.queueId as string))).toBe(true);
    const scans = cluster.logs.filter((l) => l.event === 'filter.scanned');
    expect(scans.filter((l) => l.queueId === original)).toHaveLength(1);
    expect(scans.filter((l) => ids.has(l.queueId as string))).toEqual([]);
  });

  it('filters an authenticated submission too (GTUBE refused on the submission port)', async () => {
    const { c } = await submission(cluster.ports.submission, at('alice'), 'alice-demo-password');
    try {
      expect((await c.command(`MAIL FROM:<${at('alice')}>`)).code).toBe(250);
      expect((await c.command(`RCPT TO:<${at('carol')}>`)).code).toBe(250);
      expect((await c.command('DATA')).code).toBe(354);
      const text = `From: <${at('alice')}>\r\nTo: <${at('carol')}>\r\nSubject: sub gtube\r\n\r\n${GTUBE}\r\n`;
      const reply = await c.command(`${text}.`, 30_000);
      expect(reply.code).toBe(550);
    } finally {
      c.close();
    }
    const scans = cluster.logs.filter((l) => l.event === 'filter.scanned');
    expect(scans.length).toBeGreaterThanOrEqual(5);
  });

  it('rspamd stopped: accepted and marked unchecked; a filter that never answers: the timeout, then the breaker', async () => {
    const port = rspamd.scanPort;
    await rspamd.stop();
    const down = await sendRaw(at('carol'), message(at('carol'), 'while down'));
    expect(down.reply.code).toBe(250);
    const body = await stored(at('carol'), 'while down');
    expect(body).toMatch(/^X-Spam-Status: unchecked\r\n/);
    expect(body).not.toContain('X-Spam-Flag');

    // The same port now accepts and never answers: each scan waits the timeout (failures 2, 3).
    silent = createServer(() => {});
    await new Promise<void>((r) => silent!.listen(port, '127.0.0.1', r));
    for (const subject of ['slow one', 'slow two']) {
      const slow = await sendRaw(at('carol'), message(at('carol'), subject));
      expect(slow.reply.code).toBe(250);
      expect(slow.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    }
    await cluster.waitForLog((l) => l.event === 'filter.breaker_open');
    // Open: the filter is skipped, no timeout waited for, the message still marked unchecked.
    const skipped = await sendRaw(at('carol'), message(at('carol'), 'breaker open'));
    expect(skipped.reply.code).toBe(250);
    expect(skipped.ms).toBeLessThan(TIMEOUT_MS - 100);
    expect(await stored(at('carol'), 'breaker open')).toMatch(/^X-Spam-Status: unchecked\r\n/);
    expect(cluster.logs.filter((l) => l.event === 'filter.failed').length).toBe(3);
  });
});
