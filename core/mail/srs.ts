/**
 * Sender Rewriting Scheme for mail a rule redirects to an external address: the envelope sender
 * becomes `<account>+SRS0=HHHHHHHH=TT=<domain>=<local>@<account's domain>` (HMAC-SHA256 with the
 * cluster's secret, day stamp base32), so SPF checks the forwarding domain, and bounces come back
 * to the forwarding account (our choice, not the original sender: no backscatter to forged senders).
 * Pure; nothing throws: encoding answers undefined when the address would not fit, decoding a reason.
 */
import { createHmac } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const DAY_MS = 86_400_000;
/** How long a rewritten address takes bounces (days); older ones are refused. */
export const SRS_MAX_AGE_DAYS = 21;
const LOCAL_PART_MAX = 64;
const SRS = /^(.+?)\+srs0=([a-z2-7]{8})=([a-z2-7]{2})=([^=@]+)=([^@]+)@([^@]+)$/i;

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= chars) break;
  }
  return out;
}

function dayStamp(now: number): string {
  const day = Math.floor(now / DAY_MS) % 1024;
  return BASE32[day >> 5]! + BASE32[day & 31]!;
}

function stampAge(stamp: string, now: number): number {
  const then = BASE32.indexOf(stamp[0]!) * 32 + BASE32.indexOf(stamp[1]!);
  return ((((Math.floor(now / DAY_MS) % 1024) - then) % 1024) + 1024) % 1024;
}

function hash(secret: string, stamp: string, domain: string, local: string, account: string): string {
  const mac = createHmac('sha256', secret).update(`${stamp}|${domain}|${local}|${account}`).digest();
  return base32(mac, 8);
}

const split = (address: string) => {
  const at = address.lastIndexOf('@');
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() };
};

/**
 * The SRS return path for `sender` forwarded by `account`, or undefined when it would exceed
 * the 64-character local part (the caller then uses the account's own address).
 */
export function srsForward(sender: string, account: string, secret: string, now: number): string | undefined {
  const orig = split(sender);
  const acct = split(account);
  const stamp = dayStamp(now);
  const h = hash(secret, stamp, orig.domain, orig.local, `${acct.local}@${acct.domain}`);
  const local = `${acct.local}+srs0=${h}=${stamp}=${orig.domain}=${orig.local}`;
  return local.length > LOCAL_PART_MAX ? undefined : `${local}@${acct.domain}`;
}

export type SrsReversal =
  | { readonly ok: true; readonly account: string; readonly sender: string }
  | { readonly ok: false; readonly reason: string };

/** The forwarding account an SRS address names, unverified (for our own DSNs); undefined if not SRS. */
export function srsAccount(address: string): string | undefined {
  const m = SRS.exec(address);
  return m ? `${m[1]!.toLowerCase()}@${m[6]!.toLowerCase()}` : undefined;
}

/** Verify an SRS address (hash and age); undefined when `address` is not one at all. */
export function srsReverse(
  address: string,
  secret: string,
  now: number,
  maxAgeDays: number = SRS_MAX_AGE_DAYS,
): SrsReversal | undefined {
  const m = SRS.exec(address.toLowerCase());
  if (!m) return undefined;
  const [, acctLocal, h, stamp, domain, local, acctDomain] = m as unknown as string[];
  const account = `${acctLocal}@${acctDomain}`;
  if (hash(secret, stamp!, domain!, local!, account) !== h) return { ok: false, reason: 'bad SRS hash' };
  if (stampAge(stamp!, now) > maxAgeDays) return { ok: false, reason: 'SRS address expired' };
  return { ok: true, account, sender: `${local}@${domain}` };
}
