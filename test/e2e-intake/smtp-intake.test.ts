/**
 * End-to-end SMTP intake against a real `npm start` cluster (two frontend workers sharing the
 * ports, embedded storage in a temp dir, the seeded demo domain): protocol replies with their
 * exact codes, STARTTLS/AUTH rules, relay control, size limits without buffering, smuggling,
 * and byte-exact bodies read back from the queue through the real adapters.
 */
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import {
  findQueued,
  greetingPid,
  queuedId,
  type RunningProcess,
  readClusterState,
  readQueue,
  startProcess,
} from '../support/cluster.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';

const DEMO = 'demo.strato.test';
const ALICE = `alice@${DEMO}`;
const ALICE_PASSWORD = 'alice-demo-password';
const MAX_SIZE = 256 * 1024;
/** Received header as intake writes it, then the message as the client sent it. */
const RECEIVED =
  /^Received: from [^\r\n]+\r\n\tby localhost \(Strato\) with ESMTPS?A? id ([0-9A-Z]{20})(?:\r\n\tfor <[^>]+>; |;\r\n\t)\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/;
const BARE_LINE_END = /\r(?!\n)|(?<!\r)\n/;

let cluster: RunningProcess;

async function session(port: number, opts: { tls?: boolean; ehlo?: boolean } = {}) {
  const c = await RawSmtp.connect(port, { tls: opts.tls });
  const greeting = await c.read();
  expect(greeting.code).toBe(220);
  const ehlo = opts.ehlo === false ? undefined : await c.command('EHLO client.test');
  return { c, greeting, ehlo };
}

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_MAX_MESSAGE_SIZE: String(MAX_SIZE),
      STRATO_POSTMASTER: ALICE.toUpperCase(),
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

describe('SMTP intake end to end', () => {
  it('advertises the required extensions on each port', async () => {
    const mx = await session(cluster.ports.mx);
    expect(mx.ehlo!.code).toBe(250);
    for (const ext of [
      'PIPELINING',
      '8BITMIME',
      'SMTPUTF8',
      'ENHANCEDSTATUSCODES',
      'DSN',
      'STARTTLS',
      `SIZE ${MAX_SIZE}`,
    ]) {
      expect(mx.ehlo!.lines).toContain(ext);
    }
    expect(mx.ehlo!.lines.some((l) => l.startsWith('AUTH'))).toBe(false); // MX never offers AUTH
    mx.c.close();

    const smtps = await session(cluster.ports.smtps, { tls: true });
    expect(smtps.ehlo!.lines).toContain('AUTH PLAIN LOGIN');
    expect(smtps.ehlo!.lines).not.toContain('STARTTLS'); // already TLS
    expect(smtps.ehlo!.lines).toContain('DSN');
    smtps.c.close();
  });

  it('rejects unknown users with 550 5.1.1 and unauthenticated relay with 554 5.7.1', async () => {
    const { c } = await session(cluster.ports.mx);
    expect((await c.command('MAIL FROM:<sender@example.org>')).last).toBe('250 2.1.0 Accepted');
    expect((await c.command(`RCPT TO:<nobody@${DEMO}>`)).last).toBe(
      `550 5.1.1 <nobody@${DEMO}>: Recipient address rejected: no such user`,
    );
    expect((await c.command('RCPT TO:<someone@elsewhere.example>')).last).toBe(
      '554 5.7.1 <someone@elsewhere.example>: Relay access denied',
    );
    expect((await c.command('RCPT TO:<x@[10.0.0.5]>')).last).toBe(
      '550 5.7.1 <x@[10.0.0.5]>: IP-literal recipient addresses are not accepted',
    );
    expect((await c.command('DATA')).code).toBe(503); // no valid recipient, no transaction
    expect((await c.command('QUIT')).code).toBe(221);
    c.close();
  });

  it('accepts bare postmaster and postmaster@<hosted domain> for the cluster postmaster', async () => {
    const { c } = await session(cluster.ports.mx);
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command('RCPT TO:<PostMaster>')).last).toBe('250 2.1.5 Accepted');
    expect((await c.command(`RCPT TO:<postmaster@${DEMO}>`)).last).toBe('250 2.1.5 Accepted');
    expect((await c.command('DATA')).code).toBe(354);
    const reply = await c.command('Subject: to the postmaster\r\n\r\nhello\r\n.');
    const id = queuedId(reply.last)!;
    expect(reply.last).toBe(`250 2.0.0 Ok: queued as ${id}`);
    c.close();
    const { job } = (await findQueued(cluster.dataDir, id))!;
    expect(job.envelope.recipients.map((r) => r.address)).toEqual([ALICE]); // both name alice: one delivery
  });

  it('refuses AUTH before TLS on submission, and allows it (then relay) after STARTTLS', async () => {
    const { c, ehlo } = await session(cluster.ports.submission);
    expect(ehlo!.lines).toContain('STARTTLS');
    expect(ehlo!.lines.some((l) => l.startsWith('AUTH'))).toBe(false);
    const early = await c.command(`AUTH PLAIN ${plainAuth(ALICE, ALICE_PASSWORD)}`);
    expect(early.last).toBe('530 5.7.0 Must issue a STARTTLS command first');
    expect((await c.command('EXPN staff')).last).toBe('502 5.5.1 EXPN is not implemented');
    expect((await c.command('MAIL FROM:<alice@demo.strato.test>')).last).toBe(
      '530 5.7.0 Must issue a STARTTLS command first',
    );

    expect((await c.startTls()).code).toBe(220);
    const secureEhlo = await c.command('EHLO client.test');
    expect(secureEhlo.lines).toContain('AUTH PLAIN LOGIN');
    expect(secureEhlo.lines).not.toContain('STARTTLS');
    expect((await c.command(`MAIL FROM:<${ALICE}>`)).last).toBe('530 5.7.0 Authentication required');
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE, 'wrong')}`)).last).toBe(
      '535 5.7.8 Authentication credentials invalid',
    );
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE.toUpperCase(), ALICE_PASSWORD)}`)).last).toBe(
      '235 2.7.0 Authentication successful',
    );
    expect((await c.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
    // IP-literal recipients are refused even for an authenticated user (STRATO_ALLOW_IP_LITERAL_RECIPIENTS).
    expect((await c.command('RCPT TO:<x@[169.254.169.254]>')).last).toBe(
      '550 5.7.1 <x@[169.254.169.254]>: IP-literal recipient addresses are not accepted',
    );
    expect((await c.command('RCPT TO:<friend@elsewhere.example>')).last).toBe('250 2.1.5 Accepted');
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command('Subject: relayed\r\n\r\nHello outside\r\n.');
    expect(done.last).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{20}$/);
    c.close();

    const queued = await findQueued(cluster.dataDir, queuedId(done.last)!);
    expect(queued?.job).toMatchObject({
      source: 'SUBMIT',
      client: { authUser: ALICE, tls: true },
      envelope: { mailFrom: ALICE, recipients: [{ address: 'friend@elsewhere.example', state: 'pending' }] },
    });
    expect(queued!.body.toString()).toMatch(/with ESMTPSA id /);
  });

  it('sends with nodemailer over implicit TLS with AUTH LOGIN', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: cluster.ports.smtps,
      secure: true,
      auth: { user: ALICE, pass: ALICE_PASSWORD },
      authMethod: 'LOGIN',
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: ALICE,
      to: `bob@${DEMO}`,
      subject: 'over 465',
      text: 'hi bob',
    });
    transport.close();
    expect(info.accepted).toEqual([`bob@${DEMO}`]);
    const id = queuedId(info.response);
    expect(id).toBeDefined();
    expect((await findQueued(cluster.dataDir, id!))?.job.envelope.recipients[0]).toMatchObject({
      address: `bob@${DEMO}`,
    });
  });

  it('rejects an oversized message with 552 5.3.4 without buffering it', async () => {
    const { c, greeting } = await session(cluster.ports.mx);
    // A declared SIZE over the limit is refused at MAIL already.
    expect((await c.command(`MAIL FROM:<big@example.org> SIZE=${MAX_SIZE + 1}`)).last).toMatch(
      /^552 5\.3\.4 /,
    );
    const pid = greetingPid(greeting.last)!;
    const peakBefore = await peakRssKb(pid);
    expect((await c.command('MAIL FROM:<big@example.org>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const before = (await readQueue(cluster.dataDir)).length;
    const line = `${'x'.repeat(998)}\r\n`;
    const chunk = Buffer.from(line.repeat(1024)); // 1 MB
    for (let i = 0; i < 200; i++) await c.writeDrained(chunk); // 200 MB, 800 times the limit
    const reply = await c.command('.', 30_000);
    expect(reply.last).toBe(`552 5.3.4 Message size exceeds fixed maximum message size (${MAX_SIZE} bytes)`);
    // The session goes on, and nothing was queued.
    expect((await c.command('NOOP')).code).toBe(250);
    c.close();
    expect((await readQueue(cluster.dataDir)).length).toBe(before);
    const grewKb = (await peakRssKb(pid)) - peakBefore;
    // GC lets some garbage pile up (~35 MB measured), but nothing near the 200 MB that went through.
    expect(grewKb).toBeLessThan(80 * 1024);
  });

  it('turns a smuggling attempt into ONE message with CRLF line ends', async () => {
    const { c } = await session(cluster.ports.mx);
    expect((await c.command('MAIL FROM:<smuggler@example.org>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const smuggled = (n: number) =>
      `MAIL FROM:<evil${n}@example.org>\r\nRCPT TO:<bob@${DEMO}>\r\nDATA\r\nsmuggled ${n}\r\n`;
    c.write(
      `Subject: smuggle\r\n\r\nstart\n.\n${smuggled(1)}` +
        `part2\r\n.\n${smuggled(2)}` +
        `part3\n.\r\n${smuggled(3)}` +
        'bare\rcr\r\n.\r\n',
    );
    const reply = await c.read();
    expect(reply.last).toMatch(/^250 2\.0\.0 Ok: queued as /);
    // Exactly one reply for the whole thing: the next one is for our QUIT.
    expect((await c.command('QUIT')).last).toBe('221 2.0.0 Bye');
    c.close();

    const all = await readQueue(cluster.dataDir);
    const fromSmuggler = all.filter(
      (m) => m.job.envelope.mailFrom.includes('smuggler') || m.job.envelope.mailFrom.includes('evil'),
    );
    expect(fromSmuggler).toHaveLength(1);
    const body = fromSmuggler[0]!.body.toString();
    expect(fromSmuggler[0]!.job.id).toBe(queuedId(reply.last));
    for (const n of [1, 2, 3])
      expect(body).toContain(
        `MAIL FROM:<evil${n}@example.org>\r\nRCPT TO:<bob@${DEMO}>\r\nDATA\r\nsmuggled ${n}\r\n`,
      );
    expect(body).toContain('start\r\n.\r\nMAIL FROM');
    expect(body).toContain('bare\r\ncr\r\n');
    expect(BARE_LINE_END.test(body)).toBe(false);
  });

  it("removes the client's own Return-Path header fields at intake (body untouched)", async () => {
    const { c } = await session(cluster.ports.mx);
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const reply = await c.command(
      'Return-Path: <forged@evil.example>\r\nSubject: rp\r\nreturn-path:\r\n <folded@evil.example>\r\n' +
        '\r\nReturn-Path: <quoted in the body>\r\n.',
    );
    const id = queuedId(reply.last)!;
    expect(reply.last).toBe(`250 2.0.0 Ok: queued as ${id}`);
    c.close();
    const body = (await findQueued(cluster.dataDir, id))!.body.toString('utf8');
    const header = RECEIVED.exec(body)!;
    expect(body.slice(header[0].length)).toBe('Subject: rp\r\n\r\nReturn-Path: <quoted in the body>\r\n');
  });

  it('stores an accepted message byte for byte, with its DSN parameters', async () => {
    const message =
      'From: Sender <sender@example.org>\r\nTo: Alice <alice@demo.strato.test>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n' +
      'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' +
      'Grüße aus Köln ✉\r\n.a line starting with a dot\r\n..two dots\r\n\r\n  trailing spaces  \r\n';
    const { c } = await session(cluster.ports.mx);
    expect((await c.command('MAIL FROM:<sender@example.org> BODY=8BITMIME RET=HDRS ENVID=env-42')).code).toBe(
      250,
    );
    expect((await c.command(`RCPT TO:<${ALICE}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;${ALICE}`)).code).toBe(
      250,
    );
    expect((await c.command(`RCPT TO:<bob@${DEMO}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    // Dot-stuff as a client must; the server must undo it.
    const stuffed = message.replace(/^\./gm, '..');
    const reply = await c.command(`${stuffed}.`);
    const id = queuedId(reply.last)!;
    expect(reply.last).toBe(`250 2.0.0 Ok: queued as ${id}`);
    c.close();

    const queued = (await findQueued(cluster.dataDir, id))!;
    const body = queued.body;
    const header = RECEIVED.exec(body.toString('utf8'));
    expect(header?.[1]).toBe(id);
    expect(body.subarray(Buffer.byteLength(header![0])).equals(Buffer.from(message, 'utf8'))).toBe(true);
    expect(queued.job.body.size).toBe(body.length);
    expect(queued.job).toMatchObject({
      id,
      source: 'SMTP',
      attempts: 0,
      envelope: {
        mailFrom: 'sender@example.org',
        ret: 'HDRS',
        envid: 'env-42',
        bodyType: '8BITMIME',
        recipients: [
          {
            address: ALICE,
            original: ALICE,
            state: 'pending',
            notify: ['SUCCESS', 'FAILURE'],
            orcpt: `rfc822;${ALICE}`,
          },
          { address: `bob@${DEMO}`, state: 'pending' },
        ],
      },
      client: { ip: '127.0.0.1', helo: 'client.test', tls: false },
    });
  });

  it('checks account state at RCPT: a disabled account gets 550 5.2.1', async () => {
    const storage = await openEmbeddedStorage({ dataDir: cluster.dataDir });
    await storage.directory.updateAccountSettings(`bob@${DEMO}`, { Enabled: false });
    try {
      const { c } = await session(cluster.ports.mx);
      expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
      expect((await c.command(`RCPT TO:<bob@${DEMO}>`)).last).toBe(
        `550 5.2.1 <bob@${DEMO}>: mailbox disabled, not accepting messages`,
      );
      c.close();
    } finally {
      await storage.directory.updateAccountSettings(`bob@${DEMO}`, { Enabled: undefined });
      await storage.close();
    }
  });

  it('serves connections from both workers on the shared port', async () => {
    const pids = new Set<number>();
    for (let i = 0; i < 8 && pids.size < 2; i++) {
      const { c, greeting } = await session(cluster.ports.mx, { ehlo: false });
      pids.add(greetingPid(greeting.last)!);
      c.close();
    }
    const state = await readClusterState(cluster.dataDir);
    expect(pids.size).toBe(2);
    const frontends = state.workers.filter((w) => w.role === 'frontend');
    expect([...pids].sort()).toEqual(frontends.map((w) => w.pid).sort());
    // The accepting process logs its own pid with the session.
    const accepted = cluster.logs.filter((l) => l.event === 'smtp.accepted').map((l) => l.pid);
    expect(accepted.every((pid) => pids.has(pid as number))).toBe(true);
  });
});

/** Peak resident set size of a process in KiB (VmHWM). */
async function peakRssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}
