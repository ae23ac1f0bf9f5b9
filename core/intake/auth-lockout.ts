/**
 * AUTH lockout, counted on every frontend with the cluster-wide Counters: failed AUTH attempts
 * per client address and per user name in a fixed window. Once either count has reached its
 * limit, every AUTH from that address or for that name is answered 454 4.7.0 (the right password
 * too) until the window ends. The per-name count is kept for any name, existing or not, so the
 * lockout never tells which accounts exist. A limit of 0 is off. Counter faults propagate (the
 * session answers 451 4.3.0).
 */
import { parseAddress } from '../mail/address.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Counters } from '../ports/counters.ts';
import { clientAddressKey } from './client-address.ts';

export interface AuthLockoutLimits {
  readonly authFailuresPerAddress: number;
  readonly authFailuresPerAccount: number;
  readonly authFailureWindowSeconds: number;
}

export type LockScope = 'address' | 'account';

/**
 * The counter keys of one attempt: the client address (an IPv6 client by its /64), and the name normalised as AUTH reads it
 * (so spelling variants of one account share its count), else as typed in lower case.
 */
export function authFailureKeys(ip: string, username: string): Record<LockScope, string> {
  const parsed = parseAddress(username);
  const name = parsed.ok ? parsed.value.address : username.trim().toLowerCase();
  return { address: `authfail:ip:${clientAddressKey(ip)}`, account: `authfail:user:${name}` };
}

function limitOf(limits: AuthLockoutLimits, scope: LockScope): number {
  return scope === 'address' ? limits.authFailuresPerAddress : limits.authFailuresPerAccount;
}

const SCOPES: readonly LockScope[] = ['address', 'account'];

/** Before checking the password: the 454 reply (and its scope) when the address or name is locked. */
export async function authLockout(
  counters: Counters,
  limits: AuthLockoutLimits,
  ip: string,
  username: string,
): Promise<{ scope: LockScope; reply: Reply } | undefined> {
  const keys = authFailureKeys(ip, username);
  const seconds = limits.authFailureWindowSeconds;
  for (const scope of SCOPES) {
    const limit = limitOf(limits, scope);
    if (limit > 0 && (await counters.peek(keys[scope], seconds)) >= limit) {
      return { scope, reply: replies.authLocked(scope, limit, seconds) };
    }
  }
  return undefined;
}

/** After a wrong password (or unknown name): count it; the scopes this failure has just locked. */
export async function recordAuthFailure(
  counters: Counters,
  limits: AuthLockoutLimits,
  ip: string,
  username: string,
): Promise<LockScope[]> {
  const keys = authFailureKeys(ip, username);
  const locked: LockScope[] = [];
  for (const scope of SCOPES) {
    const limit = limitOf(limits, scope);
    if (limit === 0) continue;
    const count = await counters.add(keys[scope], limits.authFailureWindowSeconds);
    if (count === limit) locked.push(scope);
  }
  return locked;
}
