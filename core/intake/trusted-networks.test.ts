import { describe, expect, it } from 'vitest';
import { parseIp, parseTrustedNetworks } from './trusted-networks.ts';

function networks(...entries: string[]) {
  const parsed = parseTrustedNetworks(entries);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
}

describe('trusted networks', () => {
  it('matches IPv4 CIDR blocks and single addresses', () => {
    const n = networks('10.0.0.0/8', '192.168.1.5', '172.16.0.0/12');
    expect(n.contains('10.255.1.2')).toBe(true);
    expect(n.contains('11.0.0.1')).toBe(false);
    expect(n.contains('192.168.1.5')).toBe(true);
    expect(n.contains('192.168.1.6')).toBe(false);
    expect(n.contains('172.31.255.255')).toBe(true);
    expect(n.contains('172.32.0.0')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 client addresses against IPv4 blocks', () => {
    const n = networks('127.0.0.0/8');
    expect(n.contains('::ffff:127.0.0.1')).toBe(true);
    expect(n.contains('::FFFF:127.1.2.3')).toBe(true);
    expect(n.contains('::ffff:128.0.0.1')).toBe(false);
    expect(n.contains('::ffff:7f00:1')).toBe(true); // the same address in hex groups
  });

  it('matches IPv6 blocks, including compressed forms', () => {
    const n = networks('2001:db8::/32', '::1', 'fe80::/10');
    expect(n.contains('2001:db8:ffff::1')).toBe(true);
    expect(n.contains('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(n.contains('2001:db9::1')).toBe(false);
    expect(n.contains('::1')).toBe(true);
    expect(n.contains('::2')).toBe(false);
    expect(n.contains('fe80::1%eth0')).toBe(true);
    expect(n.contains('127.0.0.1')).toBe(false); // families do not mix
  });

  it('accepts a mapped block written against 128 bits', () => {
    expect(networks('::ffff:10.0.0.0/104').contains('10.9.8.7')).toBe(true);
    expect(networks('::ffff:10.0.0.0/104').contains('11.0.0.1')).toBe(false);
  });

  it('treats /0 as everything of that family', () => {
    expect(networks('0.0.0.0/0').contains('203.0.113.9')).toBe(true);
    expect(networks('::/0').contains('2001:db8::1')).toBe(true);
    expect(networks('::/0').contains('203.0.113.9')).toBe(false);
  });

  it('reports every bad entry', () => {
    const parsed = parseTrustedNetworks([
      '10.0.0.0/33',
      'nonsense',
      '1.2.3.4/8/1',
      '::1/129',
      '300.1.1.1',
      '10.0.0.0/8',
    ]);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toHaveLength(5);
  });

  it('never trusts an unparseable client address', () => {
    expect(networks('0.0.0.0/0', '::/0').contains('not-an-ip')).toBe(false);
    expect(networks('0.0.0.0/0').contains('')).toBe(false);
  });

  it('parses addresses', () => {
    expect(parseIp('1:2:3:4:5:6:7:8')?.family).toBe(6);
    expect(parseIp('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseIp('1::2::3')).toBeUndefined();
    expect(parseIp('::1.2.3.4')).toEqual({ family: 6, value: 0x01020304n });
    expect(parseIp('::ffff:1.2.3.4')).toEqual({ family: 4, value: 0x01020304n });
  });
});
