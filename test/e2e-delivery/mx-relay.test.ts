/**
 * Direct MX delivery end to end (STRATO_RELAY=mx) in a real local cluster: a loopback DNS server
 * (STRATO_DNS_SERVERS) points the MX records of two external domains at smtp-server sinks on
 * 127.0.0.7 (offers DSN) and 127.0.0.8 (does not; refuses one recipient). Alice submits one
 * message to three external recipients; the cluster delivers by MX. The DSN-capable next hop gets
 * NOTIFY/ORCPT/RET/ENVID and reports success itself (no report from us); the other gets a plain
 * transaction, so Alice gets a `relayed` report for her NOTIFY=SUCCESS recipient and a failure
 * report for the refused one, both naming the remote MTA and quoting its reply.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedQueueId } from '../../core/util/ids.ts';
import { type LogLine, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  ALICE_PASSWORD,
  FAST_DELIVERY_ENV,
  readInbox,
  waitQueueDrained,
} from '../support/delivery.ts';
import { TestDnsServer } from '../support/dns-server.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';
import { SmtpSink, startSinks } from '../support/smtp-sink.ts';

const dns = new TestDnsServer();
const dsnSink = new SmtpSink('127.0.0.7');
const plainSink = new SmtpSink('127.0.0.8', {
  hide: ['DSN'],
  refuse: { 'gone@plain.example': { code: 550, text: '5.1.1 no mailbox here' } },
});
let cluster: RunningProcess;

beforeAll(async () => {
  await dns.start();
  const port = await startSinks([dsnSink, plainSink]);
  dns.add(
    { name: 'dsn.example', type: 'MX', data: { preference: 10, exchange: 'mx.dsn.example' } },
    { name: 'mx.dsn.example', type: 'A', data: '127.0.0.7' },
    { name: 'plain.example', type: 'MX', data: { preference: 10, exchange: 'mx.plain.example' } },
    { name: 'mx.plain.example', type: 'A', data: '127.0.0.8' },
  );
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_RELAY: 'mx',
      STRATO_DNS_SERVERS: dns.server,
      STRATO_DNS_TIMEOUT_MS: '1000',
      STRATO_MX_RELAY_PORT: String(port),
      STRATO_MX_RELAY_CONNECT_TIMEOUT_MS: '1000',
      STRATO_MX_RELAY_GREETING_TIMEOUT_MS: '2000',
      STRATO_MX_RELAY_COMMAND_TIMEOUT_MS: '2000',
      STRATO_MX_RELAY_DATA_TIMEOUT_MS: '3000',
      STRATO_MX_RELAY_IDLE_MS: '200',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  await Promise.all([dsnSink.close(), plainSink.close(), dns.close()]);
  expect(result?.code).toBe(0);
});

/** Submit as Alice with DSN parameters; the queue id. */
async function submit(rcpts: readonly string[], subject: string): Promise<string> {
  const c = await RawSmtp.connect(cluster.ports.submission);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.startTls()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE, ALICE_PASSWORD)}`)).code).toBe(235);
    expect((await c.command(`MAIL FROM:<${ALICE}> RET=HDRS ENVID=alice-env-1`)).code).toBe(250);
    for (const rcpt of rcpts) expect((await c.command(rcpt)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command(
      `From: <${ALICE}>\r\nTo: <bob@dsn.example>\r\nSubject: ${subject}\r\n\r\nHello\r\n.`,
    );
    const id = queuedId(done.last);
    if (!id) throw new Error(`not queued: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

/** The delivery-status part of a DSN. */
function statusOf(body: string): string {
  const marker = 'Content-Type: message/delivery-status\r\n\r\n';
  const from = body.indexOf(marker) + marker.length;
  return body.slice(from, body.indexOf('\r\n--', from));
}

describe('direct MX delivery', () => {
  it('delivers to each domain’s MX, passes DSN on where offered and reports relayed and refused recipients', async () => {
    const jobId = await submit(
      [
        'RCPT TO:<bob@dsn.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@dsn.example',
        'RCPT TO:<carol@plain.example> NOTIFY=SUCCESS',
        'RCPT TO:<gone@plain.example>',
      ],
      'by mx',
    );
    await cluster.waitForLog((l: LogLine) => l.event === 'queue.done' && l.queueId === jobId, 20_000);
    await waitQueueDrained(cluster.dataDir, 10_000);

    expect(dsnSink.messages).toHaveLength(1);
    const passed = dsnSink.messages[0]!;
    expect(passed.mailFrom).toBe(ALICE);
    expect(passed.dsn).toMatchObject({ ret: 'HDRS', envid: 'alice-env-1' });
    expect(passed.rcpts).toEqual([
      { address: 'bob@dsn.example', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob@dsn.example' },
    ]);
    expect(passed.body).toContain('\r\nSubject: by mx\r\n');
    expect(plainSink.messages).toHaveLength(1);
    expect(plainSink.messages[0]!.rcpts).toEqual([{ address: 'carol@plain.example' }]);

    const inbox = await readInbox(cluster.dataDir, ALICE);
    expect(inbox.map((m) => m.deliveryKey).sort()).toEqual(
      [
        `${derivedQueueId(jobId, 'failed:gone@plain.example')}/INBOX`,
        `${derivedQueueId(jobId, 'relayed:carol@plain.example')}/INBOX`,
      ].sort(),
    );
    const failed = inbox.find((m) =>
      m.deliveryKey.startsWith(derivedQueueId(jobId, 'failed:gone@plain.example')),
    )!;
    const relayed = inbox.find((m) =>
      m.deliveryKey.startsWith(derivedQueueId(jobId, 'relayed:carol@plain.example')),
    )!;
    expect(failed.body).toContain('Subject: Undelivered Mail Returned to Sender');
    expect(statusOf(failed.body)).toContain(
      'Final-Recipient: rfc822; gone@plain.example\r\nAction: failed\r\nStatus: 5.1.1\r\n' +
        'Remote-MTA: dns; mx.plain.example\r\nDiagnostic-Code: smtp; 550 5.1.1 no mailbox here\r\n',
    );
    expect(relayed.body).toContain('Subject: Mail Relayed Report');
    expect(statusOf(relayed.body)).toContain(
      'Final-Recipient: rfc822; carol@plain.example\r\nAction: relayed\r\nStatus: 2.0.0\r\nRemote-MTA: dns; mx.plain.example\r\n',
    );
    expect(statusOf(relayed.body)).toContain('Original-Envelope-Id: alice-env-1');
  });
});
