/**
 * MxRelay against real parts: a loopback DNS server points MX names at smtp-server sinks on
 * 127.0.0.x addresses (one shared port per test). Preference order (long lines arrive folded),
 * fallback after a 421 greeting or a silent host, null MX, opportunistic STARTTLS with an
 * untrusted certificate, MTA-STS enforce (deferred; delivered to a host with a verified
 * certificate), backoff of a dead destination, the per-destination session cap, session reuse,
 * DSN parameters passed on (and `relayed` without DSN), SMTPUTF8 and 8BITMIME to hosts lacking them.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Readable } from 'node:stream';
import { generate } from 'selfsigned';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MtaStsPolicies } from '../../core/outbound/mta-sts.ts';
import type { RelayRequest } from '../../core/ports/outbound-relay.ts';
import { eventually } from '../../test/support/cluster.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { SmtpSink, startSinks } from '../../test/support/smtp-sink.ts';
import { TestClock } from '../contract/test-clock.ts';
import { HttpsMtaStsFetcher } from './mta-sts-fetcher.ts';
import { MxRelay, type MxRelayOptions } from './mx-relay.ts';
import { NodeDnsResolver } from './node-dns-resolver.ts';

const dns = new TestDnsServer();
const clock = new TestClock();
const cleanups: (() => unknown)[] = [];
let tlsPair: { key: string; cert: string };
/** A test CA and a certificate it signed for mx.trusted.test (trusted only by relays given `ca`). */
let testCa: string;
let trustedPair: { key: string; cert: string };

beforeAll(async () => {
  await dns.start();
  const pems = await generate([{ name: 'commonName', value: 'mx.untrusted.test' }], { keySize: 2048 });
  tlsPair = { key: pems.private, cert: pems.cert };
  const ca = await generate([{ name: 'commonName', value: 'Strato Test CA' }], {
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true },
    ],
  });
  testCa = ca.cert;
  const leaf = await generate([{ name: 'commonName', value: 'mx.trusted.test' }], {
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'mx.trusted.test' }] },
    ],
  });
  trustedPair = { key: leaf.private, cert: leaf.cert };
});
afterAll(() => dns.close());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Sinks started on one port, closed after the test (after the relay's sessions). */
async function sinks(...list: SmtpSink[]): Promise<number> {
  const port = await startSinks(list);
  cleanups.push(() => Promise.all(list.map((s) => s.close())));
  return port;
}

function relay(port: number, over: Partial<MxRelayOptions> = {}): MxRelay {
  const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1 });
  const r = new MxRelay({
    dns: resolver,
    clock,
    heloName: 'strato.test',
    port,
    timeouts: { connectMs: 500, greetingMs: 1500, commandMs: 1500, dataMs: 3000 },
    destinations: { concurrency: 5, backoffMs: 60_000, maxBackoffMs: 600_000 },
    maxTransactionsPerSession: 100,
    idleMs: 5_000,
    ...over,
  });
  cleanups.push(() => r.close());
  return r;
}

function request(recipients: string[], over: Partial<RelayRequest> = {}): RelayRequest {
  return {
    jobId: 'job1',
    mailFrom: 'alice@strato.test',
    recipients,
    openBody: async () =>
      Readable.from([Buffer.from(`Subject: hi\r\n\r\nHello\r\n.dot line\r\n${'x'.repeat(1000)}\r\n`)]),
    ...over,
  };
}

const mx = (domain: string, preference: number, exchange: string) =>
  ({ name: domain, type: 'MX', data: { preference, exchange } }) as const;
const a = (name: string, address: string) => ({ name, type: 'A', data: address }) as const;

describe('MX selection', () => {
  it('delivers to the most preferred MX, keeping the remote reply and name', async () => {
    const low = new SmtpSink('127.0.0.2');
    const best = new SmtpSink('127.0.0.3');
    const port = await sinks(low, best);
    dns.add(mx('pref.test', 20, 'mx2.pref.test'), mx('pref.test', 10, 'mx1.pref.test'));
    dns.add(a('mx1.pref.test', '127.0.0.3'), a('mx2.pref.test', '127.0.0.2'));
    const out = await relay(port).send(request(['bob@pref.test']));
    expect(out.get('bob@pref.test')).toMatchObject({ kind: 'delivered', remoteMta: 'mx1.pref.test' });
    expect(best.messages).toHaveLength(1);
    expect(low.connections).toBe(0);
    expect(best.messages[0]?.body).toContain('\r\n.dot line\r\n');
    expect(best.messages[0]?.body).toContain(`\r\n${'x'.repeat(998)}\r\n ${'x'.repeat(2)}\r\n`); // folded
  });

  it('tries the next MX after a 421 greeting', async () => {
    const busy = new SmtpSink('127.0.0.2', { greeting: { code: 421, text: 'too busy' } });
    const backup = new SmtpSink('127.0.0.3');
    const port = await sinks(busy, backup);
    dns.add(mx('busy.test', 10, 'mx1.busy.test'), mx('busy.test', 20, 'mx2.busy.test'));
    dns.add(a('mx1.busy.test', '127.0.0.2'), a('mx2.busy.test', '127.0.0.3'));
    const out = await relay(port).send(request(['bob@busy.test']));
    expect(out.get('bob@busy.test')).toMatchObject({ kind: 'delivered', remoteMta: 'mx2.busy.test' });
    expect(busy.connections).toBe(1);
    expect(backup.messages).toHaveLength(1);
  });

  it('tries the next MX when the first one never greets (greeting timeout)', async () => {
    const backup = new SmtpSink('127.0.0.3');
    const port = await sinks(backup);
    const silent = createNetServer(() => {}); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.2', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    dns.add(mx('slow.test', 10, 'mx1.slow.test'), mx('slow.test', 20, 'mx2.slow.test'));
    dns.add(a('mx1.slow.test', '127.0.0.2'), a('mx2.slow.test', '127.0.0.3'));
    const r = relay(port, { timeouts: { connectMs: 500, greetingMs: 300, commandMs: 1500, dataMs: 3000 } });
    const out = await r.send(request(['bob@slow.test']));
    expect(out.get('bob@slow.test')).toMatchObject({ kind: 'delivered', remoteMta: 'mx2.slow.test' });
  });

  it('bounces when every MX refuses with a 5xx greeting, and defers when the last one said 4xx', async () => {
    const refusing = new SmtpSink('127.0.0.2', { greeting: { code: 554, text: 'no service for you' } });
    const busy = new SmtpSink('127.0.0.3', { greeting: { code: 421, text: 'busy' } });
    const port = await sinks(refusing, busy);
    dns.add(mx('refuse.test', 10, 'mx.refuse.test'), a('mx.refuse.test', '127.0.0.2'));
    dns.add(mx('busy2.test', 10, 'mx.busy2.test'), a('mx.busy2.test', '127.0.0.3'));
    const out = await relay(port).send(request(['bob@refuse.test', 'carol@busy2.test']));
    expect(out.get('bob@refuse.test')).toMatchObject({
      kind: 'permanent',
      reply: { code: 554, text: 'no service for you' },
      remoteMta: 'mx.refuse.test',
    });
    expect(out.get('carol@busy2.test')).toMatchObject({
      kind: 'temporary',
      reply: { code: 451, enhanced: '4.4.1' },
    });
    expect(out.get('carol@busy2.test')?.reply?.text).toContain('421');
  });

  it('falls back to the address of a domain without MX', async () => {
    const sink = new SmtpSink('127.0.0.4');
    const port = await sinks(sink);
    dns.add(a('nomx.test', '127.0.0.4'));
    const out = await relay(port).send(request(['bob@nomx.test']));
    expect(out.get('bob@nomx.test')?.kind).toBe('delivered');
    expect(sink.messages).toHaveLength(1);
  });

  it('fails a null MX permanently with 556 5.1.10 and a domain without address temporarily', async () => {
    dns.add(mx('null.test', 0, '.'), { name: 'noaddr.test', type: 'TXT', data: 'v=spf1 -all' });
    const r = relay(1);
    const out = await r.send(request(['bob@null.test', 'carol@noaddr.test']));
    expect(out.get('bob@null.test')).toMatchObject({
      kind: 'permanent',
      reply: { code: 556, enhanced: '5.1.10' },
    });
    expect(out.get('carol@noaddr.test')).toMatchObject({ kind: 'temporary', reply: { code: 451 } });
  });

  it('gives each recipient its own RCPT reply', async () => {
    const sink = new SmtpSink('127.0.0.2', {
      refuse: {
        'gone@rcpt.test': { code: 550, text: '5.1.1 no such user here' },
        'later@rcpt.test': { code: 452, text: '4.2.2 mailbox full' },
      },
    });
    const port = await sinks(sink);
    dns.add(mx('rcpt.test', 10, 'mx.rcpt.test'), a('mx.rcpt.test', '127.0.0.2'));
    const out = await relay(port).send(request(['ok@rcpt.test', 'gone@rcpt.test', 'later@rcpt.test']));
    expect(out.get('ok@rcpt.test')).toMatchObject({ kind: 'delivered', remoteMta: 'mx.rcpt.test' });
    expect(out.get('gone@rcpt.test')).toEqual({
      kind: 'permanent',
      reply: { code: 550, enhanced: '5.1.1', text: 'no such user here' },
      remoteMta: 'mx.rcpt.test',
    });
    expect(out.get('later@rcpt.test')).toMatchObject({
      kind: 'temporary',
      reply: { code: 452, enhanced: '4.2.2' },
    });
    expect(sink.messages[0]?.rcpts.map((x) => x.address)).toEqual(['ok@rcpt.test']);
  });
});

describe('TLS and MTA-STS', () => {
  let policyServer: Server;
  let policyText = '';
  beforeAll(async () => {
    policyServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(policyText);
    });
    await new Promise<void>((resolve) => policyServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => policyServer.close(() => resolve())));

  function stsRelay(port: number, ca?: string): MxRelay {
    const resolver = new NodeDnsResolver({ servers: [dns.server], timeoutMs: 500, tries: 1 });
    const { port: httpPort } = policyServer.address() as AddressInfo;
    const fetcher = new HttpsMtaStsFetcher({
      timeoutMs: 1000,
      urlFor: (domain) => `http://127.0.0.1:${httpPort}/${domain}/mta-sts.txt`,
    });
    return relay(port, { mtaSts: new MtaStsPolicies(resolver, fetcher, clock), ...(ca ? { ca } : {}) });
  }

  it('delivers over STARTTLS with an untrusted certificate when no policy asks more', async () => {
    const sink = new SmtpSink('127.0.0.2', { tls: tlsPair });
    const port = await sinks(sink);
    dns.add(mx('opportunistic.test', 10, 'mx.untrusted.test'), a('mx.untrusted.test', '127.0.0.2'));
    const out = await stsRelay(port).send(request(['bob@opportunistic.test']));
    expect(out.get('bob@opportunistic.test')?.kind).toBe('delivered');
    expect(sink.messages[0]?.secure).toBe(true);
  });

  it('defers under an enforced MTA-STS policy when the certificate does not verify', async () => {
    const sink = new SmtpSink('127.0.0.3', { tls: tlsPair });
    const port = await sinks(sink);
    policyText = 'version: STSv1\nmode: enforce\nmx: mx.enforced.test\nmax_age: 86400\n';
    dns.add(mx('enforced.test', 10, 'mx.enforced.test'), a('mx.enforced.test', '127.0.0.3'));
    dns.add({ name: '_mta-sts.enforced.test', type: 'TXT', data: 'v=STSv1; id=20260101' });
    const out = await stsRelay(port).send(request(['bob@enforced.test']));
    expect(out.get('bob@enforced.test')).toMatchObject({ kind: 'temporary', reply: { enhanced: '4.7.5' } });
    expect(out.get('bob@enforced.test')?.reply?.text).toContain('certificate not valid');
    expect(sink.messages).toHaveLength(0);
  });

  it('delivers under an enforced policy to a listed host whose certificate verifies', async () => {
    const untrusted = new SmtpSink('127.0.0.2', { tls: tlsPair });
    const trusted = new SmtpSink('127.0.0.5', { tls: trustedPair });
    const port = await sinks(untrusted, trusted);
    policyText = 'version: STSv1\nmode: enforce\nmx: mx.trusted.test\nmx: *.untrusted.test\nmax_age: 86400\n';
    dns.add(mx('verified.test', 10, 'mx1.untrusted.test'), a('mx1.untrusted.test', '127.0.0.2'));
    dns.add(mx('verified.test', 20, 'mx.trusted.test'), a('mx.trusted.test', '127.0.0.5'));
    dns.add({ name: '_mta-sts.verified.test', type: 'TXT', data: 'v=STSv1; id=7' });
    const out = await stsRelay(port, testCa).send(request(['bob@verified.test']));
    // The preferred host is listed but its certificate does not verify: the next one is used.
    expect(out.get('bob@verified.test')).toMatchObject({ kind: 'delivered', remoteMta: 'mx.trusted.test' });
    expect(untrusted.connections).toBe(1);
    expect(untrusted.messages).toHaveLength(0);
    expect(trusted.messages[0]?.secure).toBe(true);
  });

  it('defers under an enforced policy that lists none of the MX hosts, without connecting', async () => {
    const sink = new SmtpSink('127.0.0.4', { tls: tlsPair });
    const port = await sinks(sink);
    policyText = 'version: STSv1\nmode: enforce\nmx: *.elsewhere.test\nmax_age: 86400\n';
    dns.add(mx('unlisted.test', 10, 'mx.unlisted.test'), a('mx.unlisted.test', '127.0.0.4'));
    dns.add({ name: '_mta-sts.unlisted.test', type: 'TXT', data: 'v=STSv1; id=1' });
    const out = await stsRelay(port).send(request(['bob@unlisted.test']));
    expect(out.get('bob@unlisted.test')).toMatchObject({ kind: 'temporary', reply: { enhanced: '4.7.5' } });
    expect(sink.connections).toBe(0);
  });
});

describe('per destination', () => {
  it('backs off a dead destination: no connection while backing off, delivery after it', async () => {
    const sink = new SmtpSink('127.0.0.5');
    dns.add(mx('dead.test', 10, 'mx.dead.test'), a('mx.dead.test', '127.0.0.5'));
    // Nothing listens yet: the first attempt is refused and starts the backoff.
    const probe = new SmtpSink('127.0.0.6');
    const port = await sinks(probe); // a port free on .6; .5 has nothing on it
    const r = relay(port, { destinations: { concurrency: 5, backoffMs: 30_000, maxBackoffMs: 60_000 } });
    const first = await r.send(request(['bob@dead.test']));
    expect(first.get('bob@dead.test')).toMatchObject({ kind: 'temporary', reply: { code: 451 } });
    expect(first.get('bob@dead.test')?.reply?.text).toMatch(/ECONNREFUSED/);
    await sink.listen(port);
    cleanups.push(() => sink.close());
    const second = await r.send(request(['bob@dead.test']));
    expect(second.get('bob@dead.test')?.reply?.text).toMatch(/deferred after a recent failure/);
    expect(sink.connections).toBe(0);
    clock.advance(30_001);
    const third = await r.send(request(['bob@dead.test']));
    expect(third.get('bob@dead.test')?.kind).toBe('delivered');
    expect(sink.connections).toBe(1);
  });

  it('keeps at most the configured sessions open to one domain', async () => {
    const sink = new SmtpSink('127.0.0.2', { holdDataMs: 150 });
    const port = await sinks(sink);
    dns.add(mx('capped.test', 10, 'mx.capped.test'), a('mx.capped.test', '127.0.0.2'));
    const r = relay(port, { destinations: { concurrency: 2, backoffMs: 1000, maxBackoffMs: 1000 } });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => r.send(request([`u${i}@capped.test`], { jobId: `j${i}` }))),
    );
    expect(results.every((m) => [...m.values()][0]?.kind === 'delivered')).toBe(true);
    expect(sink.messages).toHaveLength(8);
    expect(sink.maxOpen).toBe(2);
    expect(sink.connections).toBe(2); // and the two sessions were reused
  });

  it('reuses one session for several messages', async () => {
    const sink = new SmtpSink('127.0.0.3');
    const port = await sinks(sink);
    dns.add(mx('reuse.test', 10, 'mx.reuse.test'), a('mx.reuse.test', '127.0.0.3'));
    const r = relay(port);
    for (let i = 0; i < 3; i++) await r.send(request([`u${i}@reuse.test`]));
    expect(sink.messages).toHaveLength(3);
    expect(new Set(sink.messages.map((m) => m.connection)).size).toBe(1);
    expect(sink.connections).toBe(1);
  });

  it('does not use a session the remote closed while it was idle', async () => {
    const sink = new SmtpSink('127.0.0.4', { idleTimeoutMs: 200 });
    const port = await sinks(sink);
    dns.add(mx('idle.test', 10, 'mx.idle.test'), a('mx.idle.test', '127.0.0.4'));
    const r = relay(port);
    expect((await r.send(request(['a@idle.test']))).get('a@idle.test')?.kind).toBe('delivered');
    await eventually(async () => (sink.open === 0 ? true : undefined), 3000, 'the idle session closed');
    expect((await r.send(request(['b@idle.test']))).get('b@idle.test')?.kind).toBe('delivered');
    expect(sink.connections).toBe(2);
  });
});

describe('extensions', () => {
  it('passes NOTIFY/ORCPT per recipient and RET/ENVID to a host offering DSN', async () => {
    const sink = new SmtpSink('127.0.0.2');
    const port = await sinks(sink);
    dns.add(mx('dsn.test', 10, 'mx.dsn.test'), a('mx.dsn.test', '127.0.0.2'));
    const dsn = new Map([
      ['bob@dsn.test', { notify: ['SUCCESS', 'FAILURE'] as const, orcpt: 'rfc822;bob+x@dsn.test' }],
    ]);
    const out = await relay(port).send(
      request(['bob@dsn.test', 'carol@dsn.test'], { dsn, ret: 'HDRS', envid: 'env=1 x' }),
    );
    expect(out.get('bob@dsn.test')).toMatchObject({ kind: 'delivered', dsnPassedOn: true });
    expect(out.get('bob@dsn.test')).not.toHaveProperty('relayed');
    const m = sink.messages[0];
    expect(m?.dsn).toMatchObject({ ret: 'HDRS', envid: 'env=1 x' });
    expect(m?.rcpts).toEqual([
      { address: 'bob@dsn.test', notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;bob+x@dsn.test' },
      { address: 'carol@dsn.test' },
    ]);
  });

  it('marks recipients relayed when the host does not offer DSN', async () => {
    const sink = new SmtpSink('127.0.0.3', { hide: ['DSN'] });
    const port = await sinks(sink);
    dns.add(mx('nodsn.test', 10, 'mx.nodsn.test'), a('mx.nodsn.test', '127.0.0.3'));
    const dsn = new Map([['bob@nodsn.test', { notify: ['SUCCESS'] as const }]]);
    const out = await relay(port).send(request(['bob@nodsn.test'], { dsn, ret: 'FULL' }));
    expect(out.get('bob@nodsn.test')).toMatchObject({ kind: 'delivered', relayed: true });
    expect(sink.messages[0]?.rcpts).toEqual([{ address: 'bob@nodsn.test' }]);
  });

  it('fails SMTPUTF8 mail to a host without SMTPUTF8 (5.6.7) and 8-bit mail to one without 8BITMIME (5.6.3)', async () => {
    const sink = new SmtpSink('127.0.0.4', { hide: ['SMTPUTF8', '8BITMIME'] });
    const port = await sinks(sink);
    dns.add(mx('old.test', 10, 'mx.old.test'), a('mx.old.test', '127.0.0.4'));
    const r = relay(port);
    const utf8 = await r.send(request(['bob@old.test'], { smtputf8: true }));
    expect(utf8.get('bob@old.test')).toMatchObject({
      kind: 'permanent',
      reply: { code: 553, enhanced: '5.6.7' },
    });
    const eightBitBody = async () =>
      Readable.from([Buffer.from('Subject: caf\xc3\xa9\r\n\r\nna\xc3\xafve\r\n', 'latin1')]);
    const eight = await r.send(request(['bob@old.test'], { bodyType: '8BITMIME', openBody: eightBitBody }));
    expect(eight.get('bob@old.test')).toMatchObject({ kind: 'permanent', reply: { enhanced: '5.6.3' } });
    // Declared 8BITMIME but all 7-bit: it goes, without BODY=8BITMIME.
    const declared = await r.send(request(['bob@old.test'], { bodyType: '8BITMIME' }));
    expect(declared.get('bob@old.test')?.kind).toBe('delivered');
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]?.mailParams).not.toHaveProperty('BODY');
  });
});
