/**
 * RFC 5321 §5.1 target selection for one destination domain: its MX records by preference
 * (shuffled among equal preferences), each exchange with its addresses (A, then AAAA); with no
 * MX at all the domain itself is the one host (the implicit MX). A null MX (RFC 7505: one record
 * `0 .`) means the domain takes no mail: a permanent answer. An address literal ([192.0.2.1]) is
 * used as is. DNS failures (SERVFAIL, timeouts) and a destination with no address anywhere are
 * temporary: the queue retries, and its lifetime turns them into a bounce. Never throws for DNS
 * trouble.
 */
import { type DnsResolver, isDnsNoAnswer, type MxRecord } from '../ports/dns.ts';

export interface MxHost {
  /** The exchange's name (the implicit MX: the domain itself). */
  readonly name: string;
  readonly preference: number;
  /** IPv4 first, then IPv6, in DNS order. */
  readonly addresses: readonly string[];
}

export type MxPlan =
  | { readonly kind: 'hosts'; readonly hosts: readonly MxHost[] }
  | { readonly kind: 'null-mx' }
  | { readonly kind: 'temporary'; readonly why: string };

const norm = (name: string) => name.toLowerCase().replace(/\.$/, '');

/** Preference order; equal preferences in random order (RFC 5321 §5.1 spreads load this way). */
export function orderMx(records: readonly MxRecord[], random: () => number = Math.random): MxRecord[] {
  const keyed = records.map((r) => ({ r, k: random() }));
  keyed.sort((a, b) => a.r.priority - b.r.priority || a.k - b.k);
  return keyed.map((x) => x.r);
}

/** RFC 7505: a single MX with an empty exchange (".") says the domain accepts no mail. */
export function isNullMx(records: readonly MxRecord[]): boolean {
  return records.length === 1 && norm(records[0]?.exchange ?? 'x') === '';
}

/** A and AAAA of a name; a no-answer is an empty list, a failure is rethrown. */
async function addressesOf(dns: DnsResolver, name: string): Promise<string[]> {
  const one = async (type: 'A' | 'AAAA') => {
    try {
      return await dns.resolve(name, type);
    } catch (err) {
      if (isDnsNoAnswer(err)) return [];
      throw err;
    }
  };
  const [v4, v6] = await Promise.allSettled([one('A'), one('AAAA')]);
  const found = [
    ...(v4.status === 'fulfilled' ? v4.value : []),
    ...(v6.status === 'fulfilled' ? v6.value : []),
  ];
  // One family failing is fine when the other answered; both failing is a failure.
  if (found.length === 0 && v4.status === 'rejected') throw v4.reason;
  if (found.length === 0 && v6.status === 'rejected') throw v6.reason;
  return found;
}

async function mxRecords(dns: DnsResolver, domain: string): Promise<MxRecord[] | 'none'> {
  try {
    return await dns.resolve(domain, 'MX');
  } catch (err) {
    if (isDnsNoAnswer(err)) return 'none';
    throw err;
  }
}

/** An address literal (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) is its own host: no DNS at all. */
function addressLiteral(domain: string): MxHost | undefined {
  const m = /^\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]$/.exec(domain);
  return m ? { name: domain, preference: 0, addresses: [m[1] as string] } : undefined;
}

/** The hosts to try for `domain`, in order, or why there are none. */
export async function planMx(
  dns: DnsResolver,
  domain: string,
  random: () => number = Math.random,
): Promise<MxPlan> {
  const literal = addressLiteral(domain);
  if (literal) return { kind: 'hosts', hosts: [literal] };
  let records: MxRecord[] | 'none';
  try {
    records = await mxRecords(dns, domain);
  } catch (err) {
    return { kind: 'temporary', why: `MX lookup for ${domain} failed: ${(err as Error).message}` };
  }
  if (records !== 'none' && isNullMx(records)) return { kind: 'null-mx' };
  const exchanges =
    records === 'none' || records.length === 0
      ? [{ exchange: domain, priority: 0 }]
      : orderMx(records, random).filter((r) => norm(r.exchange) !== '');
  const hosts: MxHost[] = [];
  const failures: string[] = [];
  for (const mx of exchanges) {
    try {
      const addresses = await addressesOf(dns, norm(mx.exchange));
      if (addresses.length) hosts.push({ name: norm(mx.exchange), preference: mx.priority, addresses });
      else failures.push(`${norm(mx.exchange)}: no address`);
    } catch (err) {
      failures.push(`${norm(mx.exchange)}: ${(err as Error).message}`);
    }
  }
  if (hosts.length) return { kind: 'hosts', hosts };
  return {
    kind: 'temporary',
    why: `no address for the mail exchangers of ${domain} (${failures.join('; ')})`,
  };
}
