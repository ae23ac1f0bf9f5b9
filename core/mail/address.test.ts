import { describe, expect, it } from 'vitest';
import { domainOf, parseAddress, parseDomain } from './address.ts';

describe('parseAddress', () => {
  it.each([
    ['Alice@Example.COM', 'alice@example.com'],
    ['<bob@example.org>', 'bob@example.org'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ['"odd name"@example.com', '"odd name"@example.com'],
    ['user@[192.0.2.1]', 'user@[192.0.2.1]'],
    ['josé@exämple.com', 'josé@exämple.com'],
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
    [`${'x'.repeat(65)}@example.com`, 'local part longer than 64 characters'],
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
});
