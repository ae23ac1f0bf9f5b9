/**
 * CSRF protection for cookie sessions: every unsafe method (anything but GET/HEAD/OPTIONS) must
 * carry the session's CSRF token, in the `X-CSRF-Token` header (JSON) or the `_csrf` form field
 * (HTML forms). Bearer-token requests are exempt (a browser never adds that header by itself).
 * The comparison takes the same time whatever the tokens hold. A refusal is 403.
 */
import { timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

export const isSafeMethod = (method: string): boolean => ['GET', 'HEAD', 'OPTIONS'].includes(method);

export function sameToken(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws 403 when a cookie session's unsafe request lacks its CSRF token. */
export function checkCsrf(expected: string | undefined, given: string | undefined): void {
  if (expected === undefined) return; // token auth
  if (given === undefined || given === '') throw new HttpError(403, 'CSRF token missing');
  if (!sameToken(expected, given)) throw new HttpError(403, 'CSRF token does not match the session');
}
