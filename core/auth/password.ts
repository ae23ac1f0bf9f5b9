/**
 * Password hashing with scrypt (N=2^15, r=8, p=1, 16-byte salt, 32-byte key), stored as
 * "$scrypt$N$r$p$salt$key" in base64url so parameters can be raised later without breaking
 * old hashes. Verification is constant-time; a malformed hash verifies as false, never throws.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  // scrypt needs 128*N*r bytes; with N ≥ 2^15 that exceeds the 32 MiB default maxmem.
  const maxmem = 256 * n * r;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_LEN, { N: n, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `$scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, hash: string | undefined): Promise<boolean> {
  if (!hash) return false;
  const parts = hash.split('$');
  if (parts.length !== 7 || parts[1] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[2]), Number(parts[3]), Number(parts[4])];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 2 ** 20) return false;
  const salt = Buffer.from(parts[5]!, 'base64url');
  const expected = Buffer.from(parts[6]!, 'base64url');
  if (expected.length !== KEY_LEN) return false;
  const key = await derive(password, salt, n, r, p);
  return timingSafeEqual(key, expected);
}
