/**
 * The DNS port on node:dns (c-ares): asks the configured servers (or the system's) with a timeout
 * and two tries, and turns node's errors into DnsLookupError with node's own code, so NXDOMAIN and
 * "no such record" stay answers and everything else is a temporary failure. `openDnsResolver`
 * wraps it in the cache unless the config turns the cache off.
 */
import { promises as dns } from 'node:dns';
import type { DnsConfig } from '../../core/config/dns-config.ts';
import { CachedDnsResolver } from '../../core/dns/cached-resolver.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { DnsLookupError, type DnsRecordType, type DnsResolver, type MxRecord } from '../../core/ports/dns.ts';

type Answer = string[] | MxRecord[] | string[][];

export class NodeDnsResolver implements DnsResolver {
  private readonly resolver: dns.Resolver;

  constructor(opts: { servers?: readonly string[]; timeoutMs: number; tries?: number }) {
    this.resolver = new dns.Resolver({ timeout: opts.timeoutMs, tries: opts.tries ?? 2 });
    if (opts.servers && opts.servers.length > 0) this.resolver.setServers([...opts.servers]);
  }

  resolve(name: string, rrtype: 'A' | 'AAAA' | 'PTR' | 'CNAME' | 'NS'): Promise<string[]>;
  resolve(name: string, rrtype: 'MX'): Promise<MxRecord[]>;
  resolve(name: string, rrtype: 'TXT'): Promise<string[][]>;
  resolve(name: string, rrtype: DnsRecordType): Promise<Answer>;
  async resolve(name: string, rrtype: DnsRecordType): Promise<Answer> {
    try {
      return (await this.resolver.resolve(name, rrtype as 'A')) as Answer;
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? 'EUNKNOWN');
      throw new DnsLookupError(code, name, rrtype);
    }
  }
}

/** The process's resolver: node:dns with the config's servers and timeout, cached. */
export function openDnsResolver(config: DnsConfig, clock: Clock): DnsResolver {
  const direct = new NodeDnsResolver({ servers: config.servers, timeoutMs: config.timeoutMs });
  return config.cacheSeconds > 0 ? new CachedDnsResolver(direct, clock, config.cacheSeconds * 1000) : direct;
}
