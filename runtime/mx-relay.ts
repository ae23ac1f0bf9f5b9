/**
 * Builds the direct-MX OutboundRelay (STRATO_RELAY=mx) from the queue config and the DNS config:
 * a cached node:dns resolver, MTA-STS policies fetched over HTTPS (unless turned off), the
 * per-destination limits and the RFC 5321 timeouts.
 */
import { HttpsMtaStsFetcher } from '../adapters/net/mta-sts-fetcher.ts';
import { MxRelay } from '../adapters/net/mx-relay.ts';
import { openDnsResolver } from '../adapters/net/node-dns-resolver.ts';
import type { DnsConfig } from '../core/config/dns-config.ts';
import type { QueueConfig } from '../core/config/queue-config.ts';
import { MtaStsPolicies } from '../core/outbound/mta-sts.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Logger } from '../core/ports/logger.ts';

export function createMxRelay(
  config: QueueConfig,
  dnsConfig: DnsConfig,
  hostname: string,
  clock: Clock,
  logger: Logger,
): MxRelay {
  const dns = openDnsResolver(dnsConfig, clock);
  const mtaSts = config.mxRelayMtaSts
    ? new MtaStsPolicies(dns, new HttpsMtaStsFetcher({ timeoutMs: config.mxRelayCommandTimeoutMs }), clock)
    : undefined;
  return new MxRelay({
    dns,
    clock,
    heloName: hostname,
    port: config.mxRelayPort,
    timeouts: {
      connectMs: config.mxRelayConnectTimeoutMs,
      greetingMs: config.mxRelayGreetingTimeoutMs,
      commandMs: config.mxRelayCommandTimeoutMs,
      dataMs: config.mxRelayDataTimeoutMs,
    },
    destinations: {
      concurrency: config.mxRelayConcurrency,
      backoffMs: config.mxRelayBackoffSeconds * 1000,
      maxBackoffMs: config.mxRelayMaxBackoffSeconds * 1000,
    },
    maxTransactionsPerSession: config.mxRelaySessionMessages,
    idleMs: config.mxRelayIdleMs,
    ...(mtaSts ? { mtaSts } : {}),
    logger: logger.child({ component: 'mx-relay' }),
  });
}
