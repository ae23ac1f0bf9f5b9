import { Readable } from 'node:stream';
import { authenticate } from 'mailauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { dkimKey, dkimSigned } from '../../test/support/dkim.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { silentLogger } from '../ports/logger.ts';
import { type InboundAuthDeps, verifyInbound } from './inbound-auth.ts';

const ID = 'mx.strato.test';
const KEY = dkimKey();

const server = new TestDnsServer();
let resolver: NodeDnsResolver;

beforeAll(async () => {
  await server.start();
  server.add(
    { name: 'sel._domainkey.signed.test', type: 'TXT', data: KEY.txt },
    { name: 'signed.test', type: 'TXT', data: 'v=spf1 -all' },
    { name: '_dmarc.signed.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'spf-pass.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.1 -all' },
    { name: 'spf-fail.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: 'reject.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: '_dmarc.reject.test', type: 'TXT', data: 'v=DMARC1; p=reject' },
    { name: 'sampled.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: '_dmarc.sampled.test', type: 'TXT', data: 'v=DMARC1; p=reject; pct=0' },
    { name: 'quarantine.test', type: 'TXT', data: 'v=spf1 ip4:192.0.2.1 -all' },
    { name: '_dmarc.quarantine.test', type: 'TXT', data: 'v=DMARC1; p=quarantine' },
  );
  server.fail('tempfail.test', 'SERVFAIL').fail('_dmarc.tempfail.test', 'SERVFAIL');
  resolver = new NodeDnsResolver({ servers: [server.server], timeoutMs: 500, tries: 1 });
});
afterAll(() => server.close());

const deps = (policy: Partial<InboundAuthDeps['policy']> = {}): InboundAuthDeps => ({
  resolver,
  authservId: ID,
  policy: { dmarcReject: 'reject', spfFail: 'mark', ...policy },
});

const message = (from: string) =>
  `From: <${from}>\r\nTo: <alice@strato.test>\r\nSubject: hello\r\nMessage-ID: <1@x>\r\n\r\nHello.\r\n`;

const verify = (d: InboundAuthDeps, mailFrom: string, body: string) =>
  verifyInbound(
    d,
    { ip: '127.0.0.1', helo: 'client.test', mailFrom, message: Readable.from([Buffer.from(body)]) },
    silentLogger,
  );

describe('verifyInbound over a loopback DNS server', () => {
  it('passes a DKIM signature whose key the DNS publishes, in our Authentication-Results', async () => {
    const body = message('bob@signed.test');
    const v = await verify(deps(), 'bob@signed.test', await dkimSigned(body, 'signed.test', 'sel', KEY));
    expect(v.dkim).toEqual(['pass']);
    expect(v.dmarc).toBe('pass'); // aligned DKIM passes DMARC although SPF fails
    expect(v.reject).toBeUndefined();
    expect(v.header).toMatch(
      /^Authentication-Results: mx\.strato\.test;\r\n dkim=pass header\.i=@signed\.test/,
    );
    expect(v.header).toMatch(/\r\n$/);
    expect(
      v.header
        .split('\r\n')
        .slice(0, -1)
        .every((l) => l.length < 998),
    ).toBe(true);
    expect(server.queries.some((q) => q.name === 'sel._domainkey.signed.test')).toBe(true);
  });

  it('judges SPF by client IP against the published record', async () => {
    expect((await verify(deps(), 'x@spf-pass.test', message('x@spf-pass.test'))).spf).toBe('pass');
    const fail = await verify(deps(), 'x@spf-fail.test', message('x@spf-fail.test'));
    expect(fail.spf).toBe('fail');
    expect(fail.reject).toBeUndefined(); // marked by default
    expect(fail.header).toContain('spf=fail');
    const refused = await verify(deps({ spfFail: 'reject' }), 'x@spf-fail.test', message('x@spf-fail.test'));
    expect(refused.reject).toMatchObject({ code: 550, enhanced: '5.7.1' });
  });

  it('refuses a DMARC failure under p=reject, or only marks it when so configured', async () => {
    const v = await verify(deps(), 'x@reject.test', message('x@reject.test'));
    expect(v.dmarc).toBe('fail');
    expect(v.reject).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(v.reject?.text).toContain('reject.test');
    const marked = await verify(deps({ dmarcReject: 'mark' }), 'x@reject.test', message('x@reject.test'));
    expect(marked.reject).toBeUndefined();
    expect(marked.header).toContain('dmarc=fail');
  });

  it('marks p=quarantine and a pct=0 reject policy instead of refusing', async () => {
    const q = await verify(deps(), 'x@quarantine.test', message('x@quarantine.test'));
    expect([q.dmarc, q.dmarcPolicy, q.reject]).toEqual(['fail', 'quarantine', undefined]);
    const s = await verify(deps(), 'x@sampled.test', message('x@sampled.test'));
    expect([s.dmarc, s.reject]).toEqual(['fail', undefined]);
  });

  it('validates an ARC chain sealed by an earlier hop (arc=pass)', async () => {
    const body = message('x@spf-pass.test');
    // The earlier hop: mailauth verifies and seals with a key the loopback DNS publishes.
    const hop = await authenticate(body, {
      ip: '127.0.0.1',
      helo: 'client.test',
      sender: 'x@spf-pass.test',
      mta: 'sealer.test',
      resolver: (name, rr) => resolver.resolve(name, rr as 'TXT') as Promise<string[][]>,
      seal: { signingDomain: 'signed.test', selector: 'sel', privateKey: KEY.privateKey },
    });
    expect(hop.headers).toContain('ARC-Seal:');
    const v = await verify(deps(), 'x@spf-pass.test', hop.headers + body);
    expect(v.arc).toBe('pass');
    expect(v.header).toMatch(/\r\n arc=pass/);
  });

  it('accepts and marks temperror when DNS fails', async () => {
    const v = await verify(deps(), 'x@tempfail.test', message('x@tempfail.test'));
    expect(v.spf).toBe('temperror');
    expect(v.dmarc).toBe('temperror');
    expect(v.reject).toBeUndefined();
    expect(v.header).toContain('spf=temperror');
  });
});
