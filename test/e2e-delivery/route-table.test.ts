/**
 * The outbound routing table end to end in a real local cluster (default relay: capture). A
 * loopback DNS server (STRATO_DNS_SERVERS) points the MX of by-mx.example at a sink on 127.0.0.7;
 * a smarthost sink listens on 127.0.0.9. `strato route set` sends by-mx.example by MX and
 * via-relay.example through the smarthost: one message to both arrives at each sink with its
 * own recipient, while a third, unrouted domain is captured. Then, without a restart, the route
 * of by-mx.example is changed to the smarthost and taken within STRATO_QUEUE_CONTROL_MS; an SES
 * route on this machine (no SES) defers its recipient with the reason instead of losing it.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strato } from '../e2e-cli/run-cli.ts';
import { findQueued, type LogLine, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import { ALICE, ALICE_PASSWORD, FAST_DELIVERY_ENV } from '../support/delivery.ts';
import { TestDnsServer } from '../support/dns-server.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';
import { SmtpSink, startSinks } from '../support/smtp-sink.ts';

/** How often queue processors re-read the table in this test (STRATO_QUEUE_CONTROL_MS). */
const REFRESH_MS = 300;

const dns = new TestDnsServer();
const mxSink = new SmtpSink('127.0.0.7');
const relaySink = new SmtpSink('127.0.0.9');
let port = 0;
let captureDir = '';
let cluster: RunningProcess;

beforeAll(async () => {
  await dns.start();
  port = await startSinks([mxSink, relaySink]);
  dns.add(
    { name: 'by-mx.example', type: 'MX', data: { preference: 10, exchange: 'mx.by-mx.example' } },
    { name: 'mx.by-mx.example', type: 'A', data: '127.0.0.7' },
  );
  captureDir = await mkdtemp(join(tmpdir(), 'strato-capture-'));
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_RELAY: 'capture',
      STRATO_CAPTURE_DIR: captureDir,
      STRATO_QUEUE_CONTROL_MS: String(REFRESH_MS),
      STRATO_DNS_SERVERS: dns.server,
      STRATO_DNS_TIMEOUT_MS: '1000',
      STRATO_MX_RELAY_PORT: String(port),
      STRATO_MX_RELAY_CONNECT_TIMEOUT_MS: '1000',
      STRATO_MX_RELAY_IDLE_MS: '200',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  await Promise.all([mxSink.close(), relaySink.close(), dns.close()]);
  await rm(captureDir, { recursive: true, force: true });
  expect(result?.code).toBe(0);
});

/** The CLI on the running cluster's data dir; throws unless it exits 0. */
async function route(...args: string[]): Promise<string> {
  const r = await strato(cluster.dataDir, ['route', ...args]);
  if (r.code !== 0) throw new Error(`strato route ${args.join(' ')} -> ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Submit as Alice; the queue id. */
async function submit(rcpts: readonly string[], subject: string): Promise<string> {
  const c = await RawSmtp.connect(cluster.ports.submission);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.startTls()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.command(`AUTH PLAIN ${plainAuth(ALICE, ALICE_PASSWORD)}`)).code).toBe(235);
    expect((await c.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
    for (const rcpt of rcpts) expect((await c.command(`RCPT TO:<${rcpt}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command(`From: <${ALICE}>\r\nSubject: ${subject}\r\n\r\nHello\r\n.`);
    const id = queuedId(done.last);
    if (!id) throw new Error(`not queued: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

const done = (jobId: string) =>
  cluster.waitForLog((l: LogLine) => l.event === 'queue.done' && l.queueId === jobId, 20_000);

/** Recipients of the sink's messages with this subject. */
const rcptsAt = (sink: SmtpSink, subject: string) =>
  sink.messages
    .filter((m) => m.body.includes(`Subject: ${subject}\r\n`))
    .flatMap((m) => m.rcpts.map((r) => r.address));

/** Envelope recipients of the captured messages (capture relay: <name>.json beside each .eml). */
async function captured(): Promise<string[]> {
  const names = (await readdir(captureDir)).filter((n) => n.endsWith('.json'));
  const envelopes = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(captureDir, n), 'utf8'))),
  );
  return envelopes.flatMap((e: { recipients: string[] }) => e.recipients);
}

describe('routing table', () => {
  it('routes each destination its own way and takes a change without a restart', async () => {
    await route('set', 'by-mx.example', 'mx');
    await route('set', 'via-relay.example', 'smarthost', `127.0.0.9:${port}`);
    expect(await route('test', 'bob@via-relay.example')).toContain(`127.0.0.9:${port}`);

    const first = await submit(
      ['bob@by-mx.example', 'carol@via-relay.example', 'dave@elsewhere.example'],
      'first',
    );
    await done(first);
    expect(rcptsAt(mxSink, 'first')).toEqual(['bob@by-mx.example']);
    expect(rcptsAt(relaySink, 'first')).toEqual(['carol@via-relay.example']);
    expect(await captured()).toEqual(['dave@elsewhere.example']);

    // At runtime: by-mx.example now goes through the smarthost as well.
    await route('set', 'by-mx.example', 'smarthost', `127.0.0.9:${port}`);
    // Every send at least REFRESH_MS after the change reads the table again (routing-relay.ts).
    await new Promise((r) => setTimeout(r, REFRESH_MS + 100));
    const second = await submit(['erin@by-mx.example'], 'second');
    await done(second);
    expect(rcptsAt(relaySink, 'second')).toEqual(['erin@by-mx.example']);
    expect(rcptsAt(mxSink, 'second')).toEqual([]);
    expect(cluster.logs.some((l) => l.event === 'relay.routes_changed')).toBe(true);
  });

  it('defers the recipients of a route this machine cannot use, with the reason', async () => {
    await route('set', 'ses.example', 'ses');
    await new Promise((r) => setTimeout(r, REFRESH_MS + 100));
    const jobId = await submit(['frank@ses.example'], 'third');
    const line = await cluster.waitForLog(
      (l: LogLine) => l.event === 'relay.route_unusable' && l.queueId === jobId,
      20_000,
    );
    expect(line.why).toBe('SES is not available here (it needs STRATO_STORAGE=aws)');
    // Still queued, not lost: the recipient waits for a retry with the reason as its last reply.
    await cluster.waitForLog((l: LogLine) => l.event === 'queue.rescheduled' && l.queueId === jobId, 20_000);
    const queued = await findQueued(cluster.dataDir, jobId);
    expect(queued?.job.envelope.recipients.map((r) => [r.address, r.state, r.lastReply])).toEqual([
      [
        'frank@ses.example',
        'pending',
        {
          code: 451,
          enhanced: '4.3.5',
          text: 'Route for ses.example cannot be used by this queue processor: SES is not available here (it needs STRATO_STORAGE=aws)',
        },
      ],
    ]);
  });
});
