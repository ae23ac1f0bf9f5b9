import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DkimKeyRecord } from '../ports/directory.ts';
import {
  activeDkimKey,
  defaultSelector,
  dkimPublicKey,
  dkimTxtRecord,
  generateDkimPrivateKey,
  selectorProblem,
} from './dkim-keys.ts';

const key = (algorithm: 'rsa' | 'ed25519', extra: Partial<DkimKeyRecord> = {}): DkimKeyRecord => ({
  domain: 'example.com',
  selector: 's1',
  algorithm,
  privateKeyPem: generateDkimPrivateKey(algorithm),
  createdAt: 1,
  state: 'active',
  ...extra,
});

describe('DKIM keys', () => {
  it('makes RSA-2048 and Ed25519 keys', () => {
    const rsa = createPrivateKey(generateDkimPrivateKey('rsa'));
    expect(rsa.asymmetricKeyType).toBe('rsa');
    expect(rsa.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPrivateKey(generateDkimPrivateKey('ed25519')).asymmetricKeyType).toBe('ed25519');
  });

  it('publishes Ed25519 as the bare 32-byte key and RSA as SubjectPublicKeyInfo', () => {
    expect(Buffer.from(dkimPublicKey(key('ed25519')), 'base64')).toHaveLength(32);
    expect(Buffer.from(dkimPublicKey(key('rsa')), 'base64').length).toBeGreaterThan(256);
  });

  it('prints the TXT record in strings of at most 255 octets, without the private key', () => {
    const k = key('rsa');
    const line = dkimTxtRecord(k);
    expect(line.startsWith('s1._domainkey.example.com TXT "v=DKIM1; k=rsa; p=')).toBe(true);
    const strings = [...line.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    expect(strings.length).toBeGreaterThan(1);
    for (const s of strings) expect(s.length).toBeLessThanOrEqual(255);
    expect(strings.join('')).toBe(`v=DKIM1; k=rsa; p=${dkimPublicKey(k)}`);
    expect(line).not.toContain('PRIVATE');
    const ed = dkimTxtRecord(key('ed25519'));
    expect(ed).toMatch(/^s1\._domainkey\.example\.com TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/=]{44}"$/);
  });

  it('picks a dated default selector that is not taken', () => {
    const now = Date.UTC(2026, 11, 2);
    expect(defaultSelector('rsa', now, [])).toBe('rsa-20261202');
    expect(defaultSelector('ed25519', now, ['ed25519-20261202'])).toBe('ed25519-20261202-2');
    expect(defaultSelector('rsa', now, ['rsa-20261202', 'rsa-20261202-2'])).toBe('rsa-20261202-3');
  });

  it('accepts DNS-label selectors only', () => {
    expect(selectorProblem('s2026')).toBeUndefined();
    expect(selectorProblem('mail.2026-a')).toBeUndefined();
    expect(selectorProblem('')).toBeDefined();
    expect(selectorProblem('bad_selector')).toBeDefined();
    expect(selectorProblem('-x')).toBeDefined();
    expect(selectorProblem('a b')).toBeDefined();
  });

  it('signs with the newest active key', () => {
    const a = key('rsa', { selector: 'a', state: 'retired' });
    const b = key('ed25519', { selector: 'b' });
    const c = key('rsa', { selector: 'c', state: 'retired' });
    expect(activeDkimKey([a, b, c])?.selector).toBe('b');
    expect(activeDkimKey([a, c])).toBeUndefined();
  });
});
