/**
 * MTA-STS (RFC 8461) for direct MX delivery: reads the `_mta-sts.<domain>` TXT record through
 * the DNS port, fetches the policy through the MtaStsFetcher port when the record's id is new,
 * caches the policy for its max_age, and answers which MX hosts a policy allows. A missing
 * record means no policy; a failed lookup or fetch keeps a cached policy, or means no policy
 * (RFC 8461 §5: a sender without a usable policy delivers as before). Never throws.
 */
import type { Clock } from '../ports/clock.ts';
import { type DnsResolver, isDnsNoAnswer } from '../ports/dns.ts';
import type { MtaStsFetcher } from '../ports/mta-sts-fetcher.ts';

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  readonly mode: StsMode;
  readonly mx: readonly string[];
  readonly maxAgeSeconds: number;
}

/** RFC 8461 §3.2: max_age is at most 31557600 seconds (one year). */
const MAX_AGE_LIMIT = 31_557_600;

/** The id of a `v=STSv1; id=...` TXT record set (exactly one such record), else undefined. */
export function stsRecordId(txt: readonly (readonly string[])[]): string | undefined {
  const sts = txt.map((chunks) => chunks.join('')).filter((t) => /^v=STSv1\s*(;|$)/.test(t));
  if (sts.length !== 1) return undefined;
  return /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(?:;|$)/.exec(sts[0] ?? '')?.[1];
}

/** Parse a policy body (key: value lines); undefined when it is not a valid STSv1 policy. */
export function parseStsPolicy(text: string): StsPolicy | undefined {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_]+):\s*(.*?)\s*$/.exec(line);
    if (m) fields.set(m[1] as string, [...(fields.get(m[1] as string) ?? []), m[2] as string]);
  }
  const mode = fields.get('mode')?.[0];
  const maxAge = Number(fields.get('max_age')?.[0]);
  if (fields.get('version')?.[0] !== 'STSv1') return undefined;
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return undefined;
  if (!Number.isInteger(maxAge) || maxAge < 0) return undefined;
  const mx = (fields.get('mx') ?? []).map((p) => p.toLowerCase().replace(/\.$/, ''));
  if (mode !== 'none' && mx.length === 0) return undefined;
  return { mode, mx, maxAgeSeconds: Math.min(maxAge, MAX_AGE_LIMIT) };
}

/** RFC 8461 §4.1: an exact name, or `*.example.com` matching exactly one more leftmost label. */
export function mxAllowed(policy: StsPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.mx.some((p) =>
    p.startsWith('*.')
      ? name.endsWith(p.slice(1)) && !name.slice(0, -p.length + 1).includes('.')
      : p === name,
  );
}

/** Policies cached before expired ones are swept out. */
const MAX_CACHED = 10_000;

interface Cached {
  readonly id: string;
  readonly policy: StsPolicy;
  readonly expires: number;
}

export class MtaStsPolicies {
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly dns: DnsResolver,
    private readonly fetcher: MtaStsFetcher,
    private readonly clock: Clock,
  ) {}

  /** Drop expired policies once the cache is large (domains never asked again would stay). */
  private prune(): void {
    if (this.cache.size < MAX_CACHED) return;
    const now = this.clock.now();
    for (const [domain, c] of this.cache) if (c.expires <= now) this.cache.delete(domain);
  }

  private fresh(domain: string): Cached | undefined {
    const c = this.cache.get(domain);
    if (c && c.expires > this.clock.now()) return c;
    if (c) this.cache.delete(domain);
    return undefined;
  }

  /** The domain's policy in effect (cached, or fetched when its TXT id changed), or undefined. */
  async policyFor(domain: string): Promise<StsPolicy | undefined> {
    const key = domain.toLowerCase();
    const cached = this.fresh(key);
    let id: string | undefined;
    try {
      id = stsRecordId(await this.dns.resolve(`_mta-sts.${key}`, 'TXT'));
    } catch (err) {
      // No record: no (new) policy; a failed lookup: keep what is cached (§5.1).
      if (!isDnsNoAnswer(err)) return cached?.policy;
    }
    if (id === undefined) return cached?.policy;
    if (cached && cached.id === id) return cached.policy;
    try {
      const policy = parseStsPolicy(await this.fetcher.fetchPolicy(key));
      if (!policy) return cached?.policy;
      this.prune();
      this.cache.set(key, { id, policy, expires: this.clock.now() + policy.maxAgeSeconds * 1000 });
      return policy;
    } catch {
      return cached?.policy;
    }
  }
}
