/**
 * Input checks of admin access: administrator names, passwords, roles, domain lists, token labels
 * and audit page sizes. Each returns the normalised value or throws InvalidInputError naming the
 * field as the caller sent it.
 */

import { parseDomain } from '../mail/address.ts';
import { InvalidInputError } from './errors.ts';
import type { AdminRole } from './principal.ts';

/** Lower case letters, digits and . _ @ - (an address works too), up to 64 characters. */
const NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
const MAX_LABEL_LENGTH = 100;
/** The largest audit page one call returns. */
export const MAX_AUDIT_PAGE = 500;

/** A name as typed, normalised for lookups (never throws: a bad name is simply not found). */
export function normaliseAdminName(name: string): string {
  return name.trim().toLowerCase();
}

export function checkAdminName(name: unknown): string {
  const n = typeof name === 'string' ? normaliseAdminName(name) : '';
  if (!NAME.test(n)) {
    throw new InvalidInputError(
      'name',
      'an administrator name is 1-64 of a-z 0-9 . _ @ - (starting with a letter or digit)',
    );
  }
  return n;
}

export function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError('password', `the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidInputError('password', `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  if (/[\r\n]/.test(password))
    throw new InvalidInputError('password', 'the password must not contain a line break');
  return password;
}

export function checkRole(role: unknown): AdminRole {
  if (role === 'cluster' || role === 'domain') return role;
  throw new InvalidInputError('role', 'the role is "cluster" or "domain"');
}

/**
 * The domains of an administrator of `role`: a domain administrator needs at least one, a cluster
 * administrator has none. Normalised (lower case, A-labels), sorted, without repeats.
 */
export function checkDomains(role: AdminRole, domains: readonly unknown[] | undefined): string[] {
  const list = domains ?? [];
  if (role === 'cluster') {
    if (list.length > 0) throw new InvalidInputError('domains', 'a cluster administrator has no domains');
    return [];
  }
  if (list.length === 0)
    throw new InvalidInputError('domains', 'a domain administrator needs at least one domain');
  const out = new Set<string>();
  for (const d of list) {
    const parsed = typeof d === 'string' ? parseDomain(d) : undefined;
    if (!parsed?.ok) throw new InvalidInputError('domains', `not a domain name: ${String(d)}`);
    out.add(parsed.value);
  }
  return [...out].sort();
}

export function checkLabel(label: unknown): string {
  const l = typeof label === 'string' ? label.trim() : '';
  if (l.length === 0 || l.length > MAX_LABEL_LENGTH || /\p{Cc}/u.test(l)) {
    throw new InvalidInputError('label', `a token label is 1-${MAX_LABEL_LENGTH} printable characters`);
  }
  return l;
}

export function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidInputError('limit', 'the limit is a whole number of at least 1');
  }
  return Math.min(limit, MAX_AUDIT_PAGE);
}
