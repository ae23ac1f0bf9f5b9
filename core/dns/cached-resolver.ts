/**
 * A DnsResolver that remembers answers for a while: positive answers and definite "nothing there"
 * answers (NXDOMAIN, no records of that type) are served from memory for `ttlMs`; temporary
 * failures (timeouts, SERVFAIL) are never cached, so the next lookup asks again. Concurrent lookups
 * of one name and type share one query. Names are case-insensitive and a trailing dot is ignored.
 */
import type { Clock } from '../ports/clock.ts';
import { DnsLookupError, type DnsRecordType, type DnsResolver, type MxRecord } from '../ports/dns.ts';
import { TtlCache } from '../util/ttl-cache.ts';

type Answer = string[] | MxRecord[] | string[][];
type Cached =
  | { readonly ok: true; readonly answer: Answer }
  | { readonly ok: false; readonly error: DnsLookupError };

export class CachedDnsResolver implements DnsResolver {
  private readonly cache: TtlCache<Cached>;

  constructor(
    private readonly inner: DnsResolver,
    clock: Clock,
    ttlMs: number,
    maxEntries = 20_000,
  ) {
    this.cache = new TtlCache<Cached>(clock, ttlMs, maxEntries);
  }

  resolve(name: string, rrtype: 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'NS'): Promise<string[]>;
  resolve(name: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(name: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(name: string, rrtype: DnsRecordType): Promise<Answer>;
  async resolve(name: string, rrtype: DnsRecordType): Promise<Answer> {
    const key = `${rrtype} ${name.toLowerCase().replace(/\.$/, '')}`;
    const cached = await this.cache.get(key, () => this.lookup(name, rrtype));
    if (cached.ok) return cached.answer;
    throw cached.error;
  }

  /** One real lookup; a definite no-answer becomes a cacheable result, anything else rejects. */
  private async lookup(name: string, rrtype: DnsRecordType): Promise<Cached> {
    try {
      return { ok: true, answer: await this.inner.resolve(name, rrtype) };
    } catch (err) {
      if (err instanceof DnsLookupError && err.noAnswer) return { ok: false, error: err };
      throw err;
    }
  }
}
