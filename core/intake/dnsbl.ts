/**
 * DNS blocklist check (RFC 5782) for a connecting client on the MX port: the client's IPv4
 * address with its octets reversed, under each configured zone (`2.0.0.127.zen.example`), asked
 * for an A record through the DNS port. An answer in 127.0.0.0/8 means "listed" — except
 * 127.255.255.0/24, which blocklists use for their own errors (refused or over quota) and which is
 * logged and ignored. All zones are asked at once; the first listing zone in configured order is
 * the one named. No such name is "not listed"; any other DNS failure is also treated as not listed
 * (the check fails open: a broken blocklist must not stop mail) and reported in `failed`.
 * IPv6 clients are not checked (few zones publish IPv6 lists). Never throws.
 */
import { DnsLookupError, type DnsResolver, isDnsNoAnswer } from '../ports/dns.ts';

export interface DnsblDeps {
  readonly resolver: DnsResolver;
  /** Zones in the order their listing is reported. */
  readonly zones: readonly string[];
}

export interface DnsblResult {
  /** The first zone that lists the client. */
  readonly listed?: { readonly zone: string; readonly answer: string };
  /** Zones that could not be asked (DNS failure, or a blocklist error answer). */
  readonly failed: readonly { readonly zone: string; readonly reason: string }[];
}

/** "192.0.2.1" (or "::ffff:192.0.2.1") → "1.2.0.192"; undefined for anything else (IPv6). */
export function reversedIpv4(ip: string): string | undefined {
  const m = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(ip);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return [m[4], m[3], m[2], m[1]].map(Number).join('.');
}

type ZoneAnswer = { zone: string } & (
  | { kind: 'listed'; answer: string }
  | { kind: 'clean' }
  | { kind: 'failed'; reason: string }
);

async function askZone(resolver: DnsResolver, reversed: string, zone: string): Promise<ZoneAnswer> {
  try {
    const answers = await resolver.resolve(`${reversed}.${zone}`, 'A');
    const error = answers.find((a) => a.startsWith('127.255.255.'));
    if (error) return { zone, kind: 'failed', reason: `blocklist error answer ${error}` };
    const hit = answers.find((a) => a.startsWith('127.'));
    return hit ? { zone, kind: 'listed', answer: hit } : { zone, kind: 'clean' };
  } catch (err) {
    if (isDnsNoAnswer(err)) return { zone, kind: 'clean' };
    return { zone, kind: 'failed', reason: err instanceof DnsLookupError ? err.code : String(err) };
  }
}

export async function checkDnsbl(deps: DnsblDeps, ip: string): Promise<DnsblResult> {
  const reversed = reversedIpv4(ip);
  if (reversed === undefined || deps.zones.length === 0) return { failed: [] };
  const answers = await Promise.all(deps.zones.map((zone) => askZone(deps.resolver, reversed, zone)));
  const listed = answers.find((a) => a.kind === 'listed');
  const failed = answers.flatMap((a) => (a.kind === 'failed' ? [{ zone: a.zone, reason: a.reason }] : []));
  return { ...(listed ? { listed: { zone: listed.zone, answer: listed.answer } } : {}), failed };
}
