/**
 * The cluster's own authentication verdicts as rule conditions (SPF, DKIM, DMARC, ARC is/in …).
 * Which Authentication-Results field is ours: intake puts it above everything else, above our own
 * Received header, and removes any incoming field claiming our authserv-id; anything a sender
 * wrote sits below our Received header. So the results rules read are those of the
 * Authentication-Results fields that come before the first Received field — never a sender's,
 * whatever authserv-id it names, and none at all for mail intake did not verify (submissions,
 * trusted networks), which rules then see as "no results". Pure; never throws.
 */
import type { HeaderList } from './headers.ts';

export const AUTH_METHODS = ['SPF', 'DKIM', 'DMARC', 'ARC'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Result words of RFC 8601 §2.7 (and RFC 8617's for ARC). */
export const AUTH_RESULT_VALUES = [
  'pass',
  'fail',
  'softfail',
  'neutral',
  'none',
  'temperror',
  'permerror',
  'policy',
] as const;

/** The Authentication-Results values intake added (above the first Received field). */
export function clusterAuthResults(headers: HeaderList): string[] {
  const out: string[] = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'received') break;
    if (lower === 'authentication-results') out.push(value);
  }
  return out;
}

/** The results of `method` in our Authentication-Results fields, in order (a DKIM result per signature). */
export function authResultsFor(headers: HeaderList, method: AuthMethod): string[] {
  const key = method.toLowerCase();
  const results: string[] = [];
  for (const value of clusterAuthResults(headers)) {
    // Comments may hold anything, even "dkim=pass": drop them (not nested in what intake writes).
    const text = value.replace(/\([^()]*\)/g, ' ');
    // The first element is the authserv-id (and an optional version); results follow, each after a ';'.
    for (const part of text.split(';').slice(1)) {
      const m = /^\s*([a-z0-9-]+)\s*=\s*([a-z0-9-]+)/i.exec(part);
      if (m && m[1]!.toLowerCase() === key) results.push(m[2]!.toLowerCase());
    }
  }
  return results;
}
