/**
 * The secrets of admin access: session cookies, CSRF tokens and API tokens are 32 random bytes
 * (base64url, 43 characters); only their SHA-256 is stored. An API token reads
 * `strato_<id>.<secret>`: the id finds the stored record, the secret's hash is compared in
 * constant time. Parsing never throws: anything malformed is simply no token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET = /^[A-Za-z0-9_-]{43}$/;
const TOKEN = /^strato_([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/;

/** 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isSecret(text: string): boolean {
  return SECRET.test(text);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Constant-time equality of two strings (false when the lengths differ). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function newApiToken(): { id: string; secret: string; token: string } {
  // The id is typed as a command argument (`strato admin tokens revoke <id>`): one that began
  // with '-' would read as an option, so ids begin with a letter or digit.
  let id: string;
  do id = randomBytes(12).toString('base64url');
  while (!/^[A-Za-z0-9]/.test(id));
  const secret = newSecret();
  return { id, secret, token: `strato_${id}.${secret}` };
}

/** The id and secret of a token string (an "Authorization" value's "Bearer " is dropped). */
export function parseApiToken(value: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(value.trim().replace(/^Bearer\s+/i, ''));
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** A password for the first administrator: 18 random bytes, base64url (24 characters). */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}
