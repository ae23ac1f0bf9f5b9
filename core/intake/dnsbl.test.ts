import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { checkDnsbl, reversedIpv4 } from './dnsbl.ts';

const server = new TestDnsServer();
let resolver: NodeDnsResolver;

beforeAll(async () => {
  await server.start();
  server.add(
    { name: '2.0.0.127.bl.test', type: 'A', data: '127.0.0.2' },
    { name: '2.0.0.127.second.test', type: 'A', data: '127.0.0.4' },
    { name: '2.0.0.127.quota.test', type: 'A', data: '127.255.255.254' },
  );
  server.fail('2.0.0.127.broken.test', 'SERVFAIL');
  resolver = new NodeDnsResolver({ servers: [server.server], timeoutMs: 500, tries: 1 });
});
afterAll(() => server.close());

describe('reversedIpv4', () => {
  it('reverses IPv4 (also IPv4-mapped) and skips IPv6 and nonsense', () => {
    expect(reversedIpv4('192.0.2.1')).toBe('1.2.0.192');
    expect(reversedIpv4('::ffff:192.0.2.1')).toBe('1.2.0.192');
    expect(reversedIpv4('2001:db8::1')).toBeUndefined();
    expect(reversedIpv4('300.1.1.1')).toBeUndefined();
  });
});

describe('checkDnsbl over a loopback DNS server', () => {
  it('names the first listing zone in configured order', async () => {
    const r = await checkDnsbl({ resolver, zones: ['clean.test', 'second.test', 'bl.test'] }, '127.0.0.2');
    expect(r).toEqual({ listed: { zone: 'second.test', answer: '127.0.0.4' }, failed: [] });
  });

  it('a client not listed (NXDOMAIN) passes', async () => {
    expect(await checkDnsbl({ resolver, zones: ['bl.test'] }, '127.0.0.9')).toEqual({ failed: [] });
  });

  it('fails open on DNS failures and blocklist error answers, reporting them', async () => {
    const r = await checkDnsbl({ resolver, zones: ['broken.test', 'quota.test'] }, '127.0.0.2');
    expect(r.listed).toBeUndefined();
    expect(r.failed).toEqual([
      { zone: 'broken.test', reason: 'ESERVFAIL' },
      { zone: 'quota.test', reason: 'blocklist error answer 127.255.255.254' },
    ]);
  });

  it('asks nothing for IPv6 clients', async () => {
    const before = server.queries.length;
    expect(await checkDnsbl({ resolver, zones: ['bl.test'] }, '::1')).toEqual({ failed: [] });
    expect(server.queries.length).toBe(before);
  });
});
