/**
 * What the smarthost relay sends, in a real local cluster relaying to an SMTP sink on the
 * loopback that does not offer SMTPUTF8: a line over 998 octets (in the header and in the body)
 * leaves folded with CRLF SPACE, no line longer than 998 octets and nothing else changed; an
 * SMTPUTF8 message is not sent to that hop at all: its recipient fails with 553 5.6.7 and the
 * sender (Alice, local) gets one failure DSN with status 5.6.7 in her INBOX.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogLine, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  ALICE_PASSWORD,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  readInbox,
  waitQueueDrained,
} from '../support/delivery.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';

let cluster: RunningProcess;
let sink: SMTPServer;
const received: { to: string[]; smtputf8: boolean; body: string }[] = [];

beforeAll(async () => {
  const port = await freeStablePorts(1);
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideSMTPUTF8: true,
    logger: false,
    closeTimeout: 100,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          smtputf8: session.envelope.smtpUtf8 === true,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.listen(port, '127.0.0.1', () => resolve());
  });
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_RELAY: 'smarthost',
      STRATO_SMARTHOST_HOST: '127.0.0.1',
      STRATO_SMARTHOST_PORT: String(port),
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  await new Promise<void>((r) => sink?.close(() => r()));
  expect(result?.code).toBe(0);
});

/** Submit as Alice (STARTTLS, AUTH PLAIN); `mailArgs` go on MAIL FROM; returns the queue id. */
async function submitAsAlice(to: string, message: string, mailArgs = ''): Promise<string> {
  const c = await RawSmtp.connect(cluster.ports.submission);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.startTls()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE, ALICE_PASSWORD)}`)).code).toBe(235);
    expect((await c.command(`MAIL FROM:<${ALICE}>${mailArgs}`)).code).toBe(250);
    expect((await c.command(`RCPT TO:<${to}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command(`${message}\r\n.`);
    const id = queuedId(done.last);
    if (!id) throw new Error(`not queued: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

const of = (jobId: string, event: string) => (l: LogLine) => l.event === event && l.queueId === jobId;

describe('lines over 998 octets through the smarthost relay', () => {
  it('leave folded with CRLF SPACE, every line at most 998 octets, the content otherwise unchanged', async () => {
    const subject = `Subject: ${'s'.repeat(1500)}`;
    const bodyLine = 'b'.repeat(2500);
    const message = `From: <${ALICE}>\r\nTo: <far@elsewhere.example>\r\n${subject}\r\n\r\n${bodyLine}\r\nshort line\r\n`;
    const jobId = await submitAsAlice('far@elsewhere.example', message);
    await cluster.waitForLog(of(jobId, 'queue.done'), 15_000);
    const got = received.find((m) => m.body.includes('\r\nshort line\r\n'));
    expect(got).toBeDefined();
    const lines = got!.body.split('\r\n');
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(998);
    expect(lines.filter((l) => l.startsWith(' ') && /^ [sb]+$/.test(l)).length).toBeGreaterThanOrEqual(3);
    const unfolded = got!.body.replaceAll('\r\n ', '');
    expect(unfolded).toContain(`\r\n${subject}\r\n\r\n${bodyLine}\r\nshort line\r\n`);
  });
});

describe('an SMTPUTF8 message and a next hop without SMTPUTF8', () => {
  it('is not sent; the recipient fails with 553 5.6.7 and Alice gets one failure DSN', async () => {
    const RCPT = 'jürgen@elsewhere.example';
    const before = (await readInbox(cluster.dataDir, ALICE)).length;
    const sentBefore = received.length;
    const jobId = await submitAsAlice(
      RCPT,
      `From: <${ALICE}>\r\nTo: <${RCPT}>\r\nSubject: utf8 only\r\n\r\nGrüße\r\n`,
      ' SMTPUTF8',
    );
    const failed = await cluster.waitForLog(of(jobId, 'queue.failed'), 15_000);
    expect(failed.rcpt).toBe(RCPT);
    expect(failed.reply).toMatch(/^553 5\.6\.7 .*does not offer SMTPUTF8/);
    await waitQueueDrained(cluster.dataDir, 15_000);
    expect(received.length).toBe(sentBefore);
    const reports = (await readInbox(cluster.dataDir, ALICE)).slice(before);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.body).toContain('Status: 5.6.7');
  });
});
