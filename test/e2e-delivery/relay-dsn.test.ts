/**
 * Outbound relay through a smarthost and the DSNs it leads to, in a real local cluster with a
 * compressed retry schedule (retries after 1 s then 2 s, delay warning at 3 s, lifetime 6 s).
 * Alice submits (STARTTLS + AUTH) to external recipients; being local, she gets her DSNs in her
 * INBOX. An unreachable smarthost: the job is retried until its lifetime ends, then exactly one
 * delay warning and one failure report exist. A smarthost that refuses one recipient with 550
 * and takes the other: one failure report, for the refused recipient only, with the remote text.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedQueueId } from '../../core/util/ids.ts';
import { type LogLine, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  ALICE_PASSWORD,
  countEvents,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  readInbox,
  waitQueueDrained,
} from '../support/delivery.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';

let cluster: RunningProcess;
/** The smarthost's port: nothing listens there until the second test starts a server. */
let smarthostPort: number;

beforeAll(async () => {
  smarthostPort = await freeStablePorts(1);
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_RELAY: 'smarthost',
      STRATO_SMARTHOST_HOST: '127.0.0.1',
      STRATO_SMARTHOST_PORT: String(smarthostPort),
      STRATO_DELAY_WARNING_SECONDS: '3',
      STRATO_QUEUE_LIFETIME_SECONDS: '6',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** Submit as Alice on the submission port (STARTTLS, then AUTH PLAIN); returns the queue id. */
async function submitAsAlice(to: readonly string[], subject: string): Promise<string> {
  const c = await RawSmtp.connect(cluster.ports.submission);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.startTls()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE, ALICE_PASSWORD)}`)).code).toBe(235);
    expect((await c.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
    for (const rcpt of to) expect((await c.command(`RCPT TO:<${rcpt}>`)).last).toBe('250 2.1.5 Accepted');
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command(
      `From: <${ALICE}>\r\nTo: ${to.map((a) => `<${a}>`).join(', ')}\r\nSubject: ${subject}\r\n\r\nHello out there\r\n.`,
    );
    const id = queuedId(done.last);
    if (!id) throw new Error(`not queued: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

const of = (jobId: string, event: string) => (l: LogLine) => l.event === event && l.queueId === jobId;

/** A DSN's own header block and its message/delivery-status part (not the original's headers). */
function sections(body: string): { head: string; status: string } {
  const head = body.slice(0, body.indexOf('\r\n\r\n'));
  const start = body.indexOf('Content-Type: message/delivery-status\r\n\r\n');
  if (start < 0) throw new Error(`no delivery-status part in:\n${body}`);
  const from = start + 'Content-Type: message/delivery-status\r\n\r\n'.length;
  return { head, status: body.slice(from, body.indexOf('\r\n--', from)) };
}

/** The value of the one line `name: ...` in `text` (there must be exactly one). */
function field(text: string, name: string): string {
  const lines = text.split('\r\n').filter((l) => l.startsWith(`${name}: `));
  if (lines.length !== 1) throw new Error(`${lines.length} "${name}" lines in:\n${text}`);
  return lines[0]!.slice(name.length + 2);
}

describe('an unreachable smarthost', () => {
  it('is retried until the lifetime ends; Alice gets one delay warning and one failure report', async () => {
    const FRIEND = 'friend@elsewhere.example';
    const jobId = await submitAsAlice([FRIEND], 'unreachable smarthost');
    const done = await cluster.waitForLog(of(jobId, 'queue.done'), 15_000);
    await waitQueueDrained(cluster.dataDir, 10_000);

    const deferred = cluster.logs.filter(of(jobId, 'queue.deferred'));
    expect(deferred.length).toBeGreaterThan(1);
    expect(done.attempts).toBe(deferred.length);
    for (const l of deferred) {
      expect(l.reply).toBe(`451 4.4.1 smarthost: connect ECONNREFUSED 127.0.0.1:${smarthostPort}`);
    }
    expect(cluster.logs.filter(of(jobId, 'queue.expired'))).toHaveLength(1);

    // Exactly two reports, both source DSNs from <> derived from the job, warning first.
    const inbox = await readInbox(cluster.dataDir, ALICE);
    expect(inbox.map((m) => m.deliveryKey)).toEqual([
      `${derivedQueueId(jobId, `delayed:${FRIEND}`)}/INBOX`,
      `${derivedQueueId(jobId, `failed:${FRIEND}`)}/INBOX`,
    ]);
    const [warning, failure] = inbox as [(typeof inbox)[0], (typeof inbox)[0]];
    for (const dsn of [warning, failure]) {
      const { head, status } = sections(dsn.body);
      expect(field(head, 'From')).toBe('Mail Delivery System <MAILER-DAEMON@localhost>');
      expect(field(head, 'To')).toBe(`<${ALICE}>`);
      expect(field(status, 'X-Strato-Queue-ID')).toBe(jobId);
      expect(field(status, 'Final-Recipient')).toBe(`rfc822; ${FRIEND}`);
      expect(dsn.body).toContain('\r\nSubject: unreachable smarthost\r\n'); // the original's headers
    }
    expect(field(sections(warning.body).head, 'Subject')).toBe('Delayed Mail (still being retried)');
    const late = sections(warning.body).status;
    expect(field(late, 'Action')).toBe('delayed');
    expect(field(late, 'Status')).toBe('4.4.1');
    expect(field(late, 'Diagnostic-Code')).toBe(
      `smtp; 451 4.4.1 smarthost: connect ECONNREFUSED 127.0.0.1:${smarthostPort}`,
    );
    expect(field(sections(failure.body).head, 'Subject')).toBe('Undelivered Mail Returned to Sender');
    const lost = sections(failure.body).status;
    expect(field(lost, 'Action')).toBe('failed');
    expect(field(lost, 'Status')).toBe('5.4.7');
    expect(field(lost, 'Diagnostic-Code')).toBe(
      `smtp; 554 5.4.7 Delivery time expired; last error: 451 4.4.1 smarthost: connect ECONNREFUSED 127.0.0.1:${smarthostPort}`,
    );
  });
});

describe('a smarthost that refuses one recipient and takes the other', () => {
  let smarthost: SMTPServer | undefined;
  afterAll(async () => {
    if (smarthost) await new Promise<void>((r) => smarthost!.close(() => r()));
  });

  it('delivers the accepted one and sends one failure report for the refused one, with the remote text', async () => {
    const GOOD = 'good@elsewhere.example';
    const BAD = 'bad@elsewhere.example';
    const received: { from: string; to: string[]; body: string }[] = [];
    smarthost = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      // The relay's pooled connection stays open; do not wait for it when the test ends.
      closeTimeout: 100,
      onRcptTo(address, _session, callback) {
        if (address.address === BAD) {
          return callback(
            Object.assign(new Error('mailbox unavailable: nobody here'), { responseCode: 550 }),
          );
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            body: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smarthost!.once('error', reject);
      smarthost!.listen(smarthostPort, '127.0.0.1', () => resolve());
    });
    const before = (await readInbox(cluster.dataDir, ALICE)).length;

    const jobId = await submitAsAlice([GOOD, BAD], 'half refused');
    const done = await cluster.waitForLog(of(jobId, 'queue.done'), 10_000);
    await waitQueueDrained(cluster.dataDir, 10_000);

    expect(done.attempts).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]!.from).toBe(ALICE);
    expect(received[0]!.to).toEqual([GOOD]);
    expect(received[0]!.body).toContain('\r\nSubject: half refused\r\n');
    expect(countEvents(cluster.logs, 'queue.delivered', (l) => l.queueId === jobId && l.rcpt === GOOD)).toBe(
      1,
    );
    const failed = cluster.logs.filter((l) => of(jobId, 'queue.failed')(l));
    expect(failed.map((l) => l.rcpt)).toEqual([BAD]);

    const reports = (await readInbox(cluster.dataDir, ALICE)).slice(before);
    expect(reports.map((m) => m.deliveryKey)).toEqual([`${derivedQueueId(jobId, `failed:${BAD}`)}/INBOX`]);
    const { head, status } = sections(reports[0]!.body);
    expect(field(head, 'Subject')).toBe('Undelivered Mail Returned to Sender');
    expect(field(head, 'To')).toBe(`<${ALICE}>`);
    expect(field(status, 'X-Strato-Queue-ID')).toBe(jobId);
    expect(field(status, 'Final-Recipient')).toBe(`rfc822; ${BAD}`);
    expect(field(status, 'Action')).toBe('failed');
    expect(field(status, 'Status')).toMatch(/^5\.\d\.\d+$/);
    expect(field(status, 'Diagnostic-Code')).toMatch(
      /^smtp; 550 5\.\d\.\d+ mailbox unavailable: nobody here$/,
    );
    expect(field(status, 'Diagnostic-Code')).toBe(`smtp; ${failed[0]!.reply}`);
    // The accepted recipient is in the original's To header, but not reported on.
    expect(reports[0]!.body).not.toContain(`<${GOOD}>: `);
    expect(reports[0]!.body).toContain(`<${BAD}>: 550 `);
  });
});
