import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { TestDnsServer } from '../../test/support/dns-server.ts';
import { isNullMx, orderMx, planMx } from './mx-plan.ts';

describe('orderMx / isNullMx', () => {
  it('orders by preference and shuffles only among equal preferences', () => {
    const records = [
      { exchange: 'c', priority: 20 },
      { exchange: 'a1', priority: 10 },
      { exchange: 'a2', priority: 10 },
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const order = orderMx(records).map((r) => r.exchange);
      expect(order[2]).toBe('c');
      seen.add(order.join(','));
    }
    expect(seen).toEqual(new Set(['a1,a2,c', 'a2,a1,c']));
  });

  it('knows a null MX only as the single record "."', () => {
    expect(isNullMx([{ exchange: '.', priority: 0 }])).toBe(true);
    expect(isNullMx([{ exchange: '', priority: 0 }])).toBe(true);
    expect(isNullMx([{ exchange: 'mx.example', priority: 0 }])).toBe(false);
  });
});

describe('planMx against a loopback DNS server', () => {
  const server = new TestDnsServer();
  let dns: NodeDnsResolver;
  beforeAll(async () => {
    await server.start();
    dns = new NodeDnsResolver({ servers: [server.server], timeoutMs: 300, tries: 1 });
    server.add(
      { name: 'two.test', type: 'MX', data: { preference: 20, exchange: 'b.two.test' } },
      { name: 'two.test', type: 'MX', data: { preference: 10, exchange: 'a.two.test' } },
      { name: 'two.test', type: 'MX', data: { preference: 30, exchange: 'noaddr.two.test' } },
      { name: 'a.two.test', type: 'A', data: '127.0.0.2' },
      { name: 'a.two.test', type: 'AAAA', data: '::1' },
      { name: 'b.two.test', type: 'A', data: '127.0.0.3' },
      { name: 'implicit.test', type: 'A', data: '127.0.0.4' },
      { name: 'null.test', type: 'MX', data: { preference: 0, exchange: '.' } },
      { name: 'dangling.test', type: 'MX', data: { preference: 10, exchange: 'nowhere.dangling.test' } },
    );
    server.fail('broken.test', 'SERVFAIL');
  });
  afterAll(() => server.close());

  it('lists the exchangers with addresses in preference order, skipping one without address', async () => {
    expect(await planMx(dns, 'two.test')).toEqual({
      kind: 'hosts',
      hosts: [
        { name: 'a.two.test', preference: 10, addresses: ['127.0.0.2', '::1'] },
        { name: 'b.two.test', preference: 20, addresses: ['127.0.0.3'] },
      ],
    });
  });

  it('uses the domain itself when it has no MX (the implicit MX)', async () => {
    expect(await planMx(dns, 'implicit.test')).toEqual({
      kind: 'hosts',
      hosts: [{ name: 'implicit.test', preference: 0, addresses: ['127.0.0.4'] }],
    });
  });

  it('takes an address literal as its own host without asking DNS', async () => {
    const asked = server.queries.length;
    expect(await planMx(dns, '[127.0.0.9]')).toEqual({
      kind: 'hosts',
      hosts: [{ name: '[127.0.0.9]', preference: 0, addresses: ['127.0.0.9'] }],
    });
    expect((await planMx(dns, '[IPv6:::1]')).kind === 'hosts').toBe(true);
    expect(server.queries.length).toBe(asked);
  });

  it('answers null MX, and temporary for no address, NXDOMAIN and SERVFAIL', async () => {
    expect(await planMx(dns, 'null.test')).toEqual({ kind: 'null-mx' });
    expect((await planMx(dns, 'dangling.test')).kind).toBe('temporary');
    expect((await planMx(dns, 'nxdomain.test')).kind).toBe('temporary');
    const broken = await planMx(dns, 'broken.test');
    expect(broken).toMatchObject({ kind: 'temporary' });
    expect(broken.kind === 'temporary' && broken.why).toMatch(/MX lookup for broken.test failed/);
  });
});
