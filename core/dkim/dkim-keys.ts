/**
 * DKIM key material: making a key pair (RSA-2048 or Ed25519), a default selector, checking a
 * selector an operator gives, and the DNS TXT record that publishes a key's public part
 * (RFC 6376 §3.6.1; Ed25519 as the raw 32-byte key, RFC 8463). Only public parts leave this
 * module as text. Failure: a private key that cannot be read throws (the caller words it).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { DkimAlgorithm, DkimKeyRecord } from '../ports/directory.ts';

export const DKIM_ALGORITHMS: readonly DkimAlgorithm[] = ['rsa', 'ed25519'];

/** One DNS label or several, as a selector may be (RFC 6376 §3.1). */
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Why `selector` cannot be used, or undefined when it can. */
export function selectorProblem(selector: string): string | undefined {
  if (selector.length > 200 || !SELECTOR.test(selector)) {
    return 'must be DNS labels of letters, digits and hyphens (for example s2026)';
  }
  return undefined;
}

/** A new PKCS#8 PEM private key. */
export function generateDkimPrivateKey(algorithm: DkimAlgorithm): string {
  const pair =
    algorithm === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ed25519');
  return pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** `<algorithm>-<yyyymmdd>`, with `-2`, `-3` ... when the domain already has that selector. */
export function defaultSelector(algorithm: DkimAlgorithm, now: number, taken: readonly string[]): string {
  const base = `${algorithm}-${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}`;
  let selector = base;
  for (let n = 2; taken.includes(selector); n++) selector = `${base}-${n}`;
  return selector;
}

/** The key's public part as the `p=` tag carries it (base64). */
export function dkimPublicKey(key: Pick<DkimKeyRecord, 'algorithm' | 'privateKeyPem'>): string {
  const publicKey = createPublicKey(createPrivateKey(key.privateKeyPem));
  const der = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 8463 §4.2: an Ed25519 record holds the bare 32-byte key, not the SPKI structure.
  return (key.algorithm === 'ed25519' ? der.subarray(der.length - 32) : der).toString('base64');
}

/** The TXT record's value: `v=DKIM1; k=rsa; p=...`. */
export function dkimRecordValue(key: Pick<DkimKeyRecord, 'algorithm' | 'privateKeyPem'>): string {
  return `v=DKIM1; k=${key.algorithm}; p=${dkimPublicKey(key)}`;
}

/** The DNS name the record is published under. */
export function dkimRecordName(key: Pick<DkimKeyRecord, 'selector' | 'domain'>): string {
  return `${key.selector}._domainkey.${key.domain}`;
}

/**
 * The record as a zone-file line: name, TXT and the value as quoted strings of at most 255
 * octets each (a TXT character-string's limit; resolvers join them back).
 */
export function dkimTxtRecord(key: DkimKeyRecord): string {
  return formatTxtRecord(dkimRecordName(key), dkimRecordValue(key));
}

/** `<name> TXT "<value in 255-octet strings>"`, from a record's name and value. */
export function formatTxtRecord(name: string, value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255)}"`);
  return `${name} TXT ${parts.join(' ')}`;
}

/** The key that signs: the newest active one. */
export function activeDkimKey(keys: readonly DkimKeyRecord[]): DkimKeyRecord | undefined {
  return keys.filter((k) => k.state === 'active').at(-1);
}
