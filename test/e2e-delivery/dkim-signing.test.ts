/**
 * DKIM signing end to end (STRATO_RELAY=mx) in a real local cluster. Keys are made with the CLI
 * (`strato dkim generate`: RSA for the demo domain, Ed25519 for a second domain, none for a
 * third), and the TXT records it prints are served by a loopback DNS server, which also points
 * far.example's MX at an smtp-server sink on 127.0.0.11. Mail submitted by authenticated accounts
 * is relayed by MX to the sink, and the sink's copy is verified with mailauth's dkimVerify,
 * looking the public keys up in that DNS server. A message from the domain without a key, and a
 * stranger's message that came in over SMTP and goes out through a forwarder, arrive unsigned.
 * Of an account's rules, the forward (a new message from the account) is signed, the redirect of
 * a stranger's message claiming a From in our domain is not.
 */
import { Resolver } from 'node:dns/promises';
import { dkimVerify } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strato } from '../e2e-cli/run-cli.ts';
import { accountRules, addAccounts } from '../e2e-rules/support.ts';
import { eventually, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import { ALICE, ALICE_PASSWORD, DEMO, FAST_DELIVERY_ENV } from '../support/delivery.ts';
import { TestDnsServer } from '../support/dns-server.ts';
import { plainAuth, RawSmtp } from '../support/raw-smtp.ts';
import { type SinkMessage, SmtpSink, startSinks } from '../support/smtp-sink.ts';

const dns = new TestDnsServer();
const sink = new SmtpSink('127.0.0.11');
const CAROL = 'carol@ed.example';
const DAVE = 'dave@nokey.example';
const PASSWORD = 'dkim-test-password';
let cluster: RunningProcess;

/** Run the CLI on the cluster's data dir; its stdout (a failure throws with the output). */
async function cli(args: string[], input?: string): Promise<string> {
  const r = await strato(cluster.dataDir, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`strato ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** Publish the TXT record line `strato dkim generate` printed, as its quoted strings. */
function publish(output: string): void {
  const line = output.split('\n').find((l) => /^\S+\._domainkey\.\S+ TXT "/.test(l));
  if (!line) throw new Error(`no TXT record in: ${output}`);
  const name = line.slice(0, line.indexOf(' '));
  const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  dns.add({ name, type: 'TXT', data: strings });
}

beforeAll(async () => {
  await dns.start();
  const port = await startSinks([sink]);
  dns.add(
    { name: 'far.example', type: 'MX', data: { preference: 10, exchange: 'mx.far.example' } },
    { name: 'mx.far.example', type: 'A', data: '127.0.0.11' },
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
      STRATO_MX_RELAY_IDLE_MS: '200',
    },
  });
  publish(await cli(['dkim', 'generate', DEMO, '--algorithm', 'rsa', '--selector', 'rsa1']));
  await cli(['domain', 'add', 'ed.example']);
  await cli(['account', 'add', CAROL, '--password-stdin'], `${PASSWORD}\n`);
  publish(await cli(['dkim', 'generate', 'ed.example', '--algorithm', 'ed25519', '--selector', 'ed1']));
  await cli(['domain', 'add', 'nokey.example']);
  await cli(['account', 'add', DAVE, '--password-stdin'], `${PASSWORD}\n`);
  await cli(['forwarder', 'add', `fwd@${DEMO}`, 'friend@far.example']);
  await addAccounts(cluster.dataDir, ['rita']);
  await accountRules(cluster.dataDir, 'rita', [
    {
      name: 'out',
      priority: 1,
      conditions: [],
      actions: [
        { action: 'forward', to: ['fan@far.example'] },
        { action: 'redirect', to: ['red@far.example'] },
      ],
    },
  ]);
});

afterAll(async () => {
  const result = await cluster?.stop();
  await Promise.all([sink.close(), dns.close()]);
  expect(result?.code).toBe(0);
});

/** Send one message on `port` (authenticated as `user` when given); the queue id. */
async function send(opts: {
  port: number;
  user?: { address: string; password: string };
  from: string;
  rcpt: string;
  subject: string;
}): Promise<string> {
  const c = await RawSmtp.connect(opts.port);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    if (opts.user) {
      expect((await c.startTls()).code).toBe(220);
      expect((await c.command('EHLO client.test')).code).toBe(250);
      expect((await c.command(`AUTH PLAIN ${plainAuth(opts.user.address, opts.user.password)}`)).code).toBe(
        235,
      );
    }
    expect((await c.command(`MAIL FROM:<${opts.from}>`)).code).toBe(250);
    expect((await c.command(`RCPT TO:<${opts.rcpt}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const done = await c.command(
      `From: <${opts.from}>\r\nTo: <${opts.rcpt}>\r\nSubject: ${opts.subject}\r\n` +
        `Message-ID: <${opts.subject}@client.test>\r\n\r\nHello,\r\n\r\n  a line with  spaces \t\r\n.`,
    );
    const id = queuedId(done.last);
    if (!id) throw new Error(`not queued: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

/**
 * The sink's copy of the message with this subject (for `rcpt`, when given: a forward carries the
 * original, Subject and all, inside its body), once it has arrived.
 */
function received(subject: string, rcpt?: string): Promise<SinkMessage> {
  return eventually(
    async () =>
      sink.messages.find(
        (m) =>
          m.body.includes(`\r\nSubject: ${subject}\r\n`) &&
          (rcpt === undefined || m.rcpts.some((r) => r.address === rcpt)),
      ),
    20_000,
    `message "${subject}" at the sink`,
  );
}

/** dkimVerify's results, with keys looked up in the test DNS server. */
async function verify(body: string) {
  const resolver = new Resolver();
  resolver.setServers([dns.server]);
  const lookup = (name: string, rrtype: string) => resolver.resolve(name, rrtype as 'TXT');
  const { results } = await dkimVerify(body, { resolver: lookup as never });
  return results.map((r) => ({
    domain: r.signingDomain,
    selector: r.selector,
    algorithm: (r as { algo?: string }).algo,
    result: r.status.result,
  }));
}

const signatures = (body: string) => body.match(/^DKIM-Signature:/gim)?.length ?? 0;

describe('DKIM signing of relayed mail', () => {
  it('signs mail submitted by an account of a domain with an RSA key, verifiable by DNS', async () => {
    await send({
      port: cluster.ports.submission,
      user: { address: ALICE, password: ALICE_PASSWORD },
      from: ALICE,
      rcpt: 'bob@far.example',
      subject: 'signed-rsa',
    });
    const m = await received('signed-rsa');
    expect(m.mailFrom).toBe(ALICE);
    expect(signatures(m.body)).toBe(1);
    expect(await verify(m.body)).toEqual([
      { domain: DEMO, selector: 'rsa1', algorithm: 'rsa-sha256', result: 'pass' },
    ]);
  });

  it('signs with an Ed25519 key, verifiable by DNS', async () => {
    await send({
      port: cluster.ports.submission,
      user: { address: CAROL, password: PASSWORD },
      from: CAROL,
      rcpt: 'bob@far.example',
      subject: 'signed-ed25519',
    });
    const m = await received('signed-ed25519');
    expect(signatures(m.body)).toBe(1);
    expect(await verify(m.body)).toEqual([
      { domain: 'ed.example', selector: 'ed1', algorithm: 'ed25519-sha256', result: 'pass' },
    ]);
  });

  it('sends mail from a domain without a key unsigned', async () => {
    await send({
      port: cluster.ports.submission,
      user: { address: DAVE, password: PASSWORD },
      from: DAVE,
      rcpt: 'bob@far.example',
      subject: 'no-key',
    });
    const m = await received('no-key');
    expect(signatures(m.body)).toBe(0);
  });

  it('does not sign a stranger’s message forwarded to the outside', async () => {
    await send({
      port: cluster.ports.mx,
      from: 'someone@stranger.example',
      rcpt: `fwd@${DEMO}`,
      subject: 'forwarded-stranger',
    });
    const m = await received('forwarded-stranger');
    expect(m.rcpts.map((r) => r.address)).toEqual(['friend@far.example']);
    expect(signatures(m.body)).toBe(0);
  });

  it('signs a rule’s forward, not its redirect of a message claiming our From', async () => {
    await send({
      port: cluster.ports.mx,
      from: `ceo@${DEMO}`,
      rcpt: `rita@${DEMO}`,
      subject: 'ruled',
    });
    const forward = await received('Fwd: ruled', 'fan@far.example');
    expect(forward.rcpts.map((r) => r.address)).toEqual(['fan@far.example']);
    expect(forward.body).toMatch(new RegExp(`^From: .*<rita@${DEMO.replaceAll('.', '\\.')}>\r$`, 'm'));
    expect(await verify(forward.body)).toEqual([
      { domain: DEMO, selector: 'rsa1', algorithm: 'rsa-sha256', result: 'pass' },
    ]);
    const redirect = await received('ruled', 'red@far.example');
    expect(redirect.rcpts.map((r) => r.address)).toEqual(['red@far.example']);
    expect(redirect.body).toContain(`From: <ceo@${DEMO}>`);
    expect(signatures(redirect.body)).toBe(0);
  });
});
