/**
 * DNS config, read by every process that looks names up (frontends for SPF/DKIM/DMARC and DNSBL,
 * queue processors for MX delivery): which servers to ask (default: the system's resolvers), how
 * long a query may take, how long answers are cached. An invalid value stops the process with
 * every problem listed.
 */
import { z } from 'zod';
import { DEFAULT_DNS_CACHE_SECONDS, DEFAULT_DNS_TIMEOUT_MS } from './defaults.ts';
import { ENV } from './env-names.ts';
import { csv, type Env, parseRoleConfig, positiveInt } from './parse.ts';

/** host, host:port, [v6] or [v6]:port, as node:dns's setServers takes them. */
const SERVER = /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:.]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/;

const schema = z.object({
  servers: csv
    .pipe(z.array(z.string().regex(SERVER, 'IP addresses, optionally with :port ([v6]:port)')))
    .default([]),
  timeoutMs: positiveInt.default(DEFAULT_DNS_TIMEOUT_MS),
  /** 0 = no cache (every lookup asks the server). */
  cacheSeconds: z.coerce.number().int().min(0).default(DEFAULT_DNS_CACHE_SECONDS),
});

export type DnsConfig = z.output<typeof schema>;

const names = {
  servers: ENV.dnsServers,
  timeoutMs: ENV.dnsTimeoutMs,
  cacheSeconds: ENV.dnsCacheSeconds,
} as const;

export const DNS_ENV_NAMES: readonly string[] = Object.values(names);

export function parseDnsConfig(env: Env): DnsConfig {
  return parseRoleConfig('dns', schema, names, env);
}
