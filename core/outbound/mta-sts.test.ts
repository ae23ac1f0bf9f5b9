import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from '../../adapters/contract/test-clock.ts';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import type { MtaStsFetcher } from '../ports/mta-sts-fetcher.ts';
import { MtaStsPolicies, mxAllowed, parseStsPolicy, stsRecordId } from './mta-sts.ts';

describe('MTA-STS parsing', () => {
  it('reads the TXT id only from exactly one STSv1 record', () => {
    expect(stsRecordId([['v=STSv1; id=20260101T0;']])).toBe('20260101T0');
    expect(stsRecordId([['v=STSv1; ', 'id=abc']])).toBe('abc');
    expect(stsRecordId([['v=spf1 -all']])).toBeUndefined();
    expect(stsRecordId([['v=STSv1; id=a'], ['v=STSv1; id=b']])).toBeUndefined();
  });

  it('parses a policy and refuses a broken one', () => {
    expect(
      parseStsPolicy(
        'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n',
      ),
    ).toEqual({
      mode: 'enforce',
      mx: ['mx1.example.com', '*.example.net'],
      maxAgeSeconds: 604800,
    });
    expect(parseStsPolicy('version: STSv1\nmode: enforce\nmax_age: 10\n')).toBeUndefined(); // no mx
    expect(parseStsPolicy('version: STSv2\nmode: none\nmax_age: 10\n')).toBeUndefined();
    expect(parseStsPolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 10\n')).toBeUndefined();
  });

  it('matches MX names exactly or by a one-label wildcard', () => {
    const p = { mode: 'enforce', mx: ['mx1.example.com', '*.example.net'], maxAgeSeconds: 1 } as const;
    expect(mxAllowed(p, 'MX1.example.com.')).toBe(true);
    expect(mxAllowed(p, 'a.example.net')).toBe(true);
    expect(mxAllowed(p, 'a.b.example.net')).toBe(false);
    expect(mxAllowed(p, 'example.net')).toBe(false);
    expect(mxAllowed(p, 'mx2.example.com')).toBe(false);
  });
});

describe('MtaStsPolicies', () => {
  const server = new TestDnsServer();
  const clock = new TestClock();
  const fetched: string[] = [];
  let body = 'version: STSv1\nmode: enforce\nmx: mx.sts.test\nmax_age: 100\n';
  const fetcher: MtaStsFetcher = {
    async fetchPolicy(domain) {
      fetched.push(domain);
      if (domain === 'down.test') throw new Error('connection refused');
      return body;
    },
  };
  let policies: MtaStsPolicies;
  beforeAll(async () => {
    await server.start();
    server.add(
      { name: '_mta-sts.sts.test', type: 'TXT', data: 'v=STSv1; id=1' },
      { name: '_mta-sts.down.test', type: 'TXT', data: 'v=STSv1; id=1' },
    );
    policies = new MtaStsPolicies(
      new NodeDnsResolver({ servers: [server.server], timeoutMs: 300, tries: 1 }),
      fetcher,
      clock,
    );
  });
  afterAll(() => server.close());

  it('fetches once per id, keeps the policy for max_age, refetches when the id changes', async () => {
    expect((await policies.policyFor('sts.test'))?.mode).toBe('enforce');
    expect((await policies.policyFor('sts.test'))?.mode).toBe('enforce');
    expect(fetched).toEqual(['sts.test']);
    body = 'version: STSv1\nmode: testing\nmx: mx.sts.test\nmax_age: 100\n';
    server.remove('_mta-sts.sts.test').add({ name: '_mta-sts.sts.test', type: 'TXT', data: 'v=STSv1; id=2' });
    expect((await policies.policyFor('sts.test'))?.mode).toBe('testing');
    expect(fetched).toEqual(['sts.test', 'sts.test']);
    // The record gone: the cached policy stays until max_age, then there is none.
    server.remove('_mta-sts.sts.test');
    expect((await policies.policyFor('sts.test'))?.mode).toBe('testing');
    clock.advance(100_001);
    expect(await policies.policyFor('sts.test')).toBeUndefined();
  });

  it('has no policy without a record, or when the fetch fails and nothing is cached', async () => {
    expect(await policies.policyFor('plain.test')).toBeUndefined();
    expect(await policies.policyFor('down.test')).toBeUndefined();
  });
});
