/**
 * DNS port: the lookups mail needs (MX and address records for delivery, TXT for SPF, DKIM, DMARC,
 * MTA-STS and DNSBL zones, PTR for the client's name). The shape follows node:dns's
 * `resolve(name, type)` so the same resolver can be handed to mailauth unchanged.
 *
 * Failures are typed: `DnsLookupError.code` is node:dns's code, which callers (and mailauth) read:
 * ENOTFOUND (the name does not exist, NXDOMAIN) and ENODATA (it exists without records of that type)
 * are answers; ETIMEOUT, ESERVFAIL, ECONNREFUSED and the rest are temporary failures.
 */

export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR' | 'CNAME' | 'NS';

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

/** node:dns codes that are definite answers ("no such name", "no such record"). */
export const DNS_NO_ANSWER_CODES: readonly string[] = ['ENOTFOUND', 'ENODATA'];

export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  constructor(
    /** node:dns error code: ENOTFOUND, ENODATA, ETIMEOUT, ESERVFAIL, ECONNREFUSED, … */
    readonly code: string,
    readonly hostname: string,
    readonly rrtype: DnsRecordType,
  ) {
    super(`DNS ${rrtype} ${hostname}: ${code}`);
  }

  /** True when DNS answered that there is nothing (not a temporary failure). */
  get noAnswer(): boolean {
    return DNS_NO_ANSWER_CODES.includes(this.code);
  }
}

export interface DnsResolver {
  resolve(name: string, rrtype: 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'NS'): Promise<string[]>;
  resolve(name: string, rrtype: 'MX'): Promise<MxRecord[]>;
  /** TXT: each record is its list of character-strings (join them to read the record). */
  resolve(name: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(name: string, rrtype: DnsRecordType): Promise<string[] | MxRecord[] | string[][]>;
}

/** True when `err` is a definite "nothing there" answer rather than a failure to ask. */
export function isDnsNoAnswer(err: unknown): boolean {
  return err instanceof DnsLookupError
    ? err.noAnswer
    : DNS_NO_ANSWER_CODES.includes(String((err as { code?: unknown } | null)?.code));
}
