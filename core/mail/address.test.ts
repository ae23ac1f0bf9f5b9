import { describe, expect, it } from 'vitest';
import { domainOf, isNonAscii, parseAddress, parseDomain, unicodeDomain } from './address.ts';

/** A domain of exactly `octets` octets: 63-octet labels, then a shorter one, then `.test`. */
function domainOf_(octets: number): string {
  const labels: string[] = [];
  let left = octets - '.test'.length;
  while (left > 0) {
    const n = Math.min(63, left - (labels.length > 0 ? 1 : 0));
    labels.push('d'.repeat(n));
    left -= n + (labels.length > 1 ? 1 : 0);
  }
  return `${labels.join('.')}.test`;
}

describe('parseAddress', () => {
  it.each([
    ['Alice@Example.COM', 'alice@example.com'],
    ['<bob@example.org>', 'bob@example.org'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ['"odd name"@example.com', '"odd name"@example.com'],
    ['user@[192.0.2.1]', 'user@[192.0.2.1]'],
    ['josé@exämple.com', 'josé@xn--exmple-cua.com'],
    ['a@XN--Exmple-CUA.com', 'a@xn--exmple-cua.com'],
    ['postmaster@localhost', 'postmaster@localhost'],
    ['a@example.com.', 'a@example.com'],
  ])('accepts %s as %s', (input, normal) => {
    const parsed = parseAddress(input);
    expect(parsed).toEqual({ ok: true, value: expect.objectContaining({ address: normal }) });
  });

  it.each([
    ['', 'empty address'],
    ['no-at-sign', 'address must be local@domain'],
    ['@example.com', 'address must be local@domain'],
    ['a@', 'address must be local@domain'],
    ['a..b@example.com', 'bad local part syntax'],
    ['.a@example.com', 'bad local part syntax'],
    ['a b@example.com', 'bad local part syntax'],
    ['a@-bad.com', 'bad domain syntax'],
    ['a@nodot', 'domain needs at least one dot'],
    [`${'x'.repeat(65)}@example.com`, 'local part longer than 64 octets'],
    [`${'é'.repeat(33)}@example.com`, 'local part longer than 64 octets'],
    ['a@xn--zz.example', 'bad internationalised domain name'],
  ])('rejects %j with a reason', (input, reason) => {
    expect(parseAddress(input)).toEqual({ ok: false, reason });
  });

  it('splits local part and domain', () => {
    const parsed = parseAddress('Carol@Example.net');
    expect(parsed.ok && parsed.value.local).toBe('carol');
    expect(parsed.ok && parsed.value.domain).toBe('example.net');
    expect(domainOf('carol@example.net')).toBe('example.net');
  });

  it('parses domains on their own', () => {
    expect(parseDomain('Example.ORG')).toEqual({ ok: true, value: 'example.org' });
    expect(parseDomain('bad_domain.org').ok).toBe(false);
  });

  it('accepts the longest legal path (256 octets with its brackets) and refuses one octet more', () => {
    const local = 'l'.repeat(64);
    const domain = domainOf_(254 - 65);
    expect(domain.length).toBe(189);
    const longest = `${local}@${domain}`;
    expect(longest.length + 2).toBe(256);
    expect(parseAddress(`<${longest}>`)).toEqual({
      ok: true,
      value: expect.objectContaining({ address: longest }),
    });
    const longer = `${local}@${domainOf_(190)}`;
    expect(parseAddress(longer)).toEqual({ ok: false, reason: 'path longer than 256 octets' });
  });

  it('refuses a domain over 255 octets', () => {
    expect(parseDomain(domainOf_(256))).toEqual({ ok: false, reason: 'domain longer than 255 octets' });
    expect(parseDomain(domainOf_(255)).ok).toBe(true);
  });

  it('stores IDN domains in A-label form and gives the U-label form back', () => {
    expect(parseDomain('Bücher.Example')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
    expect(parseDomain('xn--bcher-kva.example')).toEqual({ ok: true, value: 'xn--bcher-kva.example' });
    expect(unicodeDomain('xn--bcher-kva.example')).toBe('bücher.example');
    expect(unicodeDomain('example.com')).toBe('example.com');
    expect(isNonAscii('a@bücher.example')).toBe(true);
    expect(isNonAscii('a@xn--bcher-kva.example')).toBe(false);
  });
});
