import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedDnsResolver } from '../../core/dns/cached-resolver.ts';
import { DnsLookupError, isDnsNoAnswer } from '../../core/ports/dns.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { TestClock } from '../contract/test-clock.ts';
import { NodeDnsResolver, openDnsResolver } from './node-dns-resolver.ts';

const longTxt = `v=DKIM1; k=rsa; p=${'A'.repeat(400)}`;

describe('NodeDnsResolver against a loopback DNS server', () => {
  const server = new TestDnsServer();
  let resolver: NodeDnsResolver;

  beforeAll(async () => {
    await server.start();
    server.add(
      { name: 'mail.example.test', type: 'A', data: '127.0.0.2' },
      { name: 'mail.example.test', type: 'AAAA', data: '::1' },
      { name: 'example.test', type: 'MX', data: { preference: 10, exchange: 'mail.example.test' } },
      { name: 'example.test', type: 'MX', data: { preference: 20, exchange: 'backup.example.test' } },
      { name: 'example.test', type: 'TXT', data: 'v=spf1 ip4:127.0.0.0/8 -all' },
      { name: 'sel._domainkey.example.test', type: 'TXT', data: longTxt },
      { name: 'alias.example.test', type: 'CNAME', data: 'mail.example.test' },
    );
    server.fail('broken.example.test', 'SERVFAIL').fail('silent.example.test', 'timeout');
    resolver = new NodeDnsResolver({ servers: [server.server], timeoutMs: 300, tries: 1 });
  });
  afterAll(() => server.close());

  it('answers A, AAAA, MX and TXT, joining nothing and splitting nothing it should not', async () => {
    expect(await resolver.resolve('mail.example.test', 'A')).toEqual(['127.0.0.2']);
    expect(await resolver.resolve('mail.example.test', 'AAAA')).toEqual(['::1']);
    const mx = await resolver.resolve('example.test', 'MX');
    expect([...mx].sort((a, b) => a.priority - b.priority)).toEqual([
      { exchange: 'mail.example.test', priority: 10 },
      { exchange: 'backup.example.test', priority: 20 },
    ]);
    expect(await resolver.resolve('example.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    const dkim = await resolver.resolve('sel._domainkey.example.test', 'TXT');
    expect(dkim).toHaveLength(1);
    expect(dkim[0]?.length).toBe(2); // 400+ octets arrive as two character-strings
    expect(dkim[0]?.join('')).toBe(longTxt);
  });

  it('follows a CNAME to the address', async () => {
    expect(await resolver.resolve('alias.example.test', 'A')).toEqual(['127.0.0.2']);
  });

  it('types NXDOMAIN and no-data as answers, SERVFAIL and silence as failures', async () => {
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof DnsLookupError ? `${e.code}/${isDnsNoAnswer(e)}` : 'other'),
      );
    expect(await codeOf(resolver.resolve('nowhere.example.test', 'A'))).toBe('ENOTFOUND/true');
    expect(await codeOf(resolver.resolve('mail.example.test', 'MX'))).toBe('ENODATA/true');
    expect(await codeOf(resolver.resolve('broken.example.test', 'A'))).toBe('ESERVFAIL/false');
    expect(await codeOf(resolver.resolve('silent.example.test', 'A'))).toBe('ETIMEOUT/false');
  });

  it('caches answers and no-answers for the TTL, never failures', async () => {
    const clock = new TestClock();
    const cached = new CachedDnsResolver(resolver, clock, 60_000);
    const asked = (name: string) => server.queries.filter((q) => q.name === name).length;

    const before = asked('mail.example.test');
    await cached.resolve('mail.example.test', 'A');
    await cached.resolve('MAIL.example.test.', 'A');
    expect(asked('mail.example.test')).toBe(before + 1);
    clock.advance(60_001);
    await cached.resolve('mail.example.test', 'A');
    expect(asked('mail.example.test')).toBe(before + 2);

    await expect(cached.resolve('gone.example.test', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(cached.resolve('gone.example.test', 'A')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(asked('gone.example.test')).toBe(1);

    await expect(cached.resolve('broken.example.test', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    await expect(cached.resolve('broken.example.test', 'TXT')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    expect(server.queries.filter((q) => q.name === 'broken.example.test' && q.type === 'TXT')).toHaveLength(
      2,
    );
  });

  it('openDnsResolver uses the configured servers, with or without the cache', async () => {
    const clock = new TestClock();
    const withCache = openDnsResolver({ servers: [server.server], timeoutMs: 500, cacheSeconds: 60 }, clock);
    const without = openDnsResolver({ servers: [server.server], timeoutMs: 500, cacheSeconds: 0 }, clock);
    expect(withCache).toBeInstanceOf(CachedDnsResolver);
    expect(without).toBeInstanceOf(NodeDnsResolver);
    expect(await withCache.resolve('mail.example.test', 'A')).toEqual(['127.0.0.2']);
  });
});
