import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountRules,
  addAccounts,
  at,
  folder,
  startRulesCluster,
  submission,
  waitFolder,
} from '../e2e-rules/support.ts';
import { eventually, type RunningProcess } from '../support/cluster.ts';
import { dkimKey, dkimSigned } from '../support/dkim.ts';
import { TestDnsServer } from '../support/dns-server.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import { bodiesContaining as storedBodiesContaining } from '../support/stored-bodies.ts';

const AUTHSERV = 'mx.strato.test';
const KEY = dkimKey();
const dns = new TestDnsServer();
let cluster: RunningProcess;

beforeAll(async () => {
  await dns.start();
  dns.add(
    { name: 'sel._domainkey.signed.test', type: 'TXT', data: KEY.txt },
    { name: 'signed.test', type: 'TXT', data: 'v=spf1 -all' },
    { name: '_dmarc.signed.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'spf-pass.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
    { name: 'spf-fail.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: 'reject.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: '_dmarc.reject.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'quarantine.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: '_dmarc.quarantine.test', type: 'TXT', data: 'v=DMARC1; p=quarantine' },
  );
  dns.fail('tempfail.test', 'SERVFAIL').fail('_dmarc.tempfail.test', 'SERVFAIL');
  cluster = await startRulesCluster({
    STRATO_INBOUND_AUTH: 'on',
    STRATO_AUTHSERV_ID: AUTHSERV,
    STRATO_DNS_SERVERS: dns.server,
    STRATO_DNS_CACHE_SECONDS: '0',
    STRATO_DNS_TIMEOUT_MS: '1000',
    STRATO_DNSBL_ZONES: 'bl.test',
  });
  await addAccounts(cluster.dataDir, ['carol', 'dave', 'erin']);
});

afterAll(async () => {
  const result = await cluster?.stop();
  await dns.close();
  expect(result?.code).toBe(0);
});

const message = (from: string, to: string, subject: string, extra = '') =>
  `From: <${from}>\r\nTo: <${to}>\r\n${extra}Subject: ${subject}\r\n` +
  `Message-ID: <${subject.replace(/\W+/g, '.')}@e2e.test>\r\n\r\nbody of ${subject}\r\n`;

/** One MX transaction from 127.0.0.1; the final reply (or the first refusal). */
async function sendRaw(mailFrom: string, to: string, text: string) {
  const c = await RawSmtp.connect(cluster.ports.mx);
  try {
    const greeting = await c.read();
    if (greeting.code !== 220) return greeting;
    await c.command('EHLO client.example.org');
    const mail = await c.command(`MAIL FROM:<${mailFrom}>`);
    if (mail.code !== 250) return mail;
    const rcpt = await c.command(`RCPT TO:<${to}>`);
    if (rcpt.code !== 250) return rcpt;
    expect((await c.command('DATA')).code).toBe(354);
    return await c.command(`${text}.`, 30_000);
  } finally {
    c.close();
  }
}

/** The stored copy in `account`'s folder whose Subject is `subject` (waits for delivery). */
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

/** Our Authentication-Results field (the message's first), unfolded. */
function ours(body: string): string {
  const m = /^Authentication-Results: mx\.strato\.test;((?:\r\n[ \t][^\r\n]*)*)\r\n/.exec(body);
  expect(m, `stored message starts with our Authentication-Results:\n${body.slice(0, 400)}`).not.toBeNull();
  return m![1]!.replace(/\r\n[ \t]+/g, ' ');
}

describe('inbound authentication on the MX port', () => {
  it('passes a DKIM signature whose key the loopback DNS publishes (dkim=pass, dmarc=pass)', async () => {
    const text = await dkimSigned(
      message('bob@signed.test', at('carol'), 'signed'),
      'signed.test',
      'sel',
      KEY,
    );
    expect((await sendRaw('bob@signed.test', at('carol'), text)).code).toBe(250);
    const results = ours(await stored(at('carol'), 'signed'));
    expect(results).toContain('dkim=pass header.i=@signed.test header.s=sel');
    expect(results).toContain('spf=fail'); // signed.test publishes -all: DKIM alone carries DMARC
    expect(results).toContain('dmarc=pass');
  });

  it('judges SPF by the client IP 127.0.0.1 against the published records', async () => {
    expect(
      (await sendRaw('x@spf-pass.test', at('carol'), message('x@spf-pass.test', at('carol'), 'spf ok'))).code,
    ).toBe(250);
    expect(
      (await sendRaw('x@spf-fail.test', at('carol'), message('x@spf-fail.test', at('carol'), 'spf bad')))
        .code,
    ).toBe(250);
    const pass = ours(await stored(at('carol'), 'spf ok'));
    expect(pass).toMatch(/spf=pass \(mx\.strato\.test: domain of x@spf-pass\.test designates 127\.0\.0\.1/);
    expect(pass).toContain('dkim=none');
    expect(ours(await stored(at('carol'), 'spf bad'))).toContain('spf=fail');
  });

  it('refuses a DMARC p=reject failure with 550 5.7.1 and stores nothing', async () => {
    const reply = await sendRaw(
      'x@reject.test',
      at('dave'),
      message('x@reject.test', at('dave'), 'dmarc reject'),
    );
    expect(reply.code).toBe(550);
    expect(reply.last).toMatch(/^550 5\.7\.1 .*DMARC policy of reject\.test is reject/);
    // Log lines are written asynchronously: the reply may arrive before the line does.
    const refused = await cluster.waitForLog(
      (l) => l.event === 'smtp.rejected' && l.reason === 'auth-policy',
    );
    expect(refused).toMatchObject({ code: 550, enhanced: '5.7.1' });
    // A later message reaches dave; the refused one never does (and was never queued).
    expect(
      (await sendRaw('x@spf-pass.test', at('dave'), message('x@spf-pass.test', at('dave'), 'after'))).code,
    ).toBe(250);
    await stored(at('dave'), 'after');
    const inbox = await waitFolder(cluster.dataDir, at('dave'), 1);
    expect(inbox.some((m) => m.body.includes('Subject: dmarc reject'))).toBe(false);
    expect(await bodiesContaining('Subject: dmarc reject')).toEqual([]);
    await cluster.waitForLog((l) => l.event === 'smtp.accepted' && l.ip === '127.0.0.1' && l.rcpts === 1);
  });

  it('removes a forged Authentication-Results with our authserv-id and keeps another id', async () => {
    const forged =
      `Authentication-Results: ${AUTHSERV}; dmarc=pass header.from=spf-pass.test\r\n` +
      'Authentication-Results: other.example; spf=pass smtp.mailfrom=x@spf-pass.test\r\n';
    const text = message('x@spf-pass.test', at('carol'), 'forged', forged);
    expect((await sendRaw('x@spf-pass.test', at('carol'), text)).code).toBe(250);
    const body = await stored(at('carol'), 'forged');
    ours(body);
    expect(body.match(/Authentication-Results: mx\.strato\.test;/g)).toHaveLength(1);
    expect(body).not.toContain(`Authentication-Results: ${AUTHSERV}; dmarc=pass`);
    expect(body).toContain(
      'Authentication-Results: other.example; spf=pass smtp.mailfrom=x@spf-pass.test\r\n',
    );
  });

  it('accepts and marks temperror when DNS answers SERVFAIL', async () => {
    const reply = await sendRaw(
      'x@tempfail.test',
      at('carol'),
      message('x@tempfail.test', at('carol'), 'tempfail'),
    );
    expect(reply.code).toBe(250);
    const results = ours(await stored(at('carol'), 'tempfail'));
    expect(results).toContain('spf=temperror');
    expect(results).toContain('dmarc=temperror');
  });

  it('an account rule files DMARC failures (p=quarantine) into Junk', async () => {
    await accountRules(cluster.dataDir, 'erin', [
      {
        name: 'Junk failing DMARC',
        priority: 5,
        conditions: [{ field: 'DMARC', op: 'is', value: 'fail' }],
        actions: [{ action: 'store', folder: 'Junk' }],
      },
    ]);
    const q = message('x@quarantine.test', at('erin'), 'quarantined');
    expect((await sendRaw('x@quarantine.test', at('erin'), q)).code).toBe(250);
    const signed = await dkimSigned(
      message('bob@signed.test', at('erin'), 'good'),
      'signed.test',
      'sel',
      KEY,
    );
    expect((await sendRaw('bob@signed.test', at('erin'), signed)).code).toBe(250);
    expect(ours(await stored(at('erin'), 'quarantined', 'Junk'))).toMatch(/dmarc=fail \(p=QUARANTINE/);
    expect(ours(await stored(at('erin'), 'good'))).toContain('dmarc=pass');
  });

  it('does not verify (nor mark) mail submitted with AUTH', async () => {
    const { c } = await submission(cluster.ports.submission, at('alice'), 'alice-demo-password');
    try {
      expect((await c.command(`MAIL FROM:<${at('alice')}>`)).code).toBe(250);
      expect((await c.command(`RCPT TO:<${at('carol')}>`)).code).toBe(250);
      expect((await c.command('DATA')).code).toBe(354);
      expect((await c.command(`${message(at('alice'), at('carol'), 'submitted')}.`, 30_000)).code).toBe(250);
    } finally {
      c.close();
    }
    const body = await stored(at('carol'), 'submitted');
    expect(body).toMatch(/^Received: /);
    expect(body).not.toContain('Authentication-Results:');
  });
});

describe('DNSBL at connect (STRATO_DNSBL_ZONES)', () => {
  it('refuses a listed client with 554 5.7.1 naming the zone, and accepts it once delisted', async () => {
    dns.add({ name: '1.0.0.127.bl.test', type: 'A', data: '127.0.0.2' });
    const listed = await RawSmtp.connect(cluster.ports.mx);
    const greeting = await listed.read();
    listed.close();
    expect(greeting.code).toBe(554);
    expect(greeting.last).toBe('554 5.7.1 Service unavailable: client 127.0.0.1 is listed in bl.test');
    // Submission is not the MX port: no DNSBL there.
    const sub = await RawSmtp.connect(cluster.ports.submission);
    expect((await sub.read()).code).toBe(220);
    sub.close();
    dns.remove('1.0.0.127.bl.test');
    const clean = await RawSmtp.connect(cluster.ports.mx);
    expect((await clean.read()).code).toBe(220);
    clean.close();
  });

  it('accepts the client when the blocklist cannot be asked (SERVFAIL)', async () => {
    dns.fail('1.0.0.127.bl.test', 'SERVFAIL');
    const c = await RawSmtp.connect(cluster.ports.mx);
    expect((await c.read()).code).toBe(220);
    c.close();
    const failed = await cluster.waitForLog((l) => l.event === 'smtp.dnsbl_failed', 10_000);
    expect(failed).toMatchObject({ zone: 'bl.test', reason: 'ESERVFAIL', ip: '127.0.0.1' });
  });
});
