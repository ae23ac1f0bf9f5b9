/**
 * Queue processing inside a frontend process (the cluster's "Remote Queue Processing"): builds
 * the delivery channel (LMTP to registered backends, or Lambda Invoke when a backend function is
 * configured), the outbound relay (capture dir, smarthost, SES or direct MX delivery, behind the
 * cluster's routing table: runtime/route-relays.ts) and the core QueueProcessor,
 * which the frontend's ProcessingController starts and stops. `stop()` stops leasing, waits for running deliveries and closes pooled connections; a job cut
 * short simply comes back after its lease.
 */
import { join } from 'node:path';
import { CaptureRelay } from '../adapters/embedded/capture-relay.ts';
import { LmtpChannel } from '../adapters/net/lmtp-channel.ts';
import { RoutingChannel } from '../adapters/net/routing-channel.ts';
import { SmarthostRelay } from '../adapters/net/smarthost-relay.ts';
import { type DnsConfig, parseDnsConfig } from '../core/config/dns-config.ts';
import type { QueueConfig } from '../core/config/queue-config.ts';
import { type Clock, systemClock } from '../core/ports/clock.ts';
import type { DeliveryChannel } from '../core/ports/delivery-channel.ts';
import { type Logger, silentLogger } from '../core/ports/logger.ts';
import type { DeadLetterSource } from '../core/ports/mail-queue.ts';
import type { HistoryActor } from '../core/ports/message-history.ts';
import type { OutboundRelay } from '../core/ports/outbound-relay.ts';
import { fixedBackends } from '../core/queue/fixed-backends.ts';
import { cachedHolds } from '../core/queue/hold-check.ts';
import type { ProcessorDeps } from '../core/queue/process-job.ts';
import { QueueProcessor } from '../core/queue/queue-processor.ts';
import { listedDeadLetters } from '../core/queue/report-dead-letters.ts';
import { cachedLeaseReads, cachedRegistry } from '../core/queue/routing-caches.ts';
import { HistoryRecorder } from '../core/util/history-recorder.ts';
import type { ProcessStorage } from './open-storage.ts';
import { createRoutedRelay } from './route-relays.ts';

export interface QueueRunner {
  readonly processor: QueueProcessor;
  stop(): Promise<void>;
}

/** How long a processor trusts the backend list and lease owners it read. */
const ROUTING_CACHE_MS = 1_000;

type Closable = { close?(): void | Promise<void> };

export async function createRelay(
  config: QueueConfig,
  storage: ProcessStorage,
  dataDir: string,
  hostname: string,
  mx: { readonly dns?: DnsConfig; readonly clock: Clock; readonly logger: Logger } = {
    clock: systemClock,
    logger: silentLogger,
  },
): Promise<OutboundRelay & Closable> {
  if (config.relay === 'mx') {
    const { createMxRelay } = await import('./mx-relay.ts');
    return createMxRelay(config, mx.dns ?? parseDnsConfig(process.env), hostname, mx.clock, mx.logger);
  }
  if (config.relay === 'smarthost') {
    return new SmarthostRelay({
      host: config.smarthostHost!,
      port: config.smarthostPort,
      secure: config.smarthostSecure,
      heloName: hostname,
      ...(config.smarthostUser
        ? { user: config.smarthostUser, password: config.smarthostPassword ?? '' }
        : {}),
    });
  }
  if (config.relay === 'ses') {
    const { createSesRelay } = await import('./ses-relay.ts');
    return createSesRelay(config, storage, hostname, mx.logger);
  }
  return new CaptureRelay(config.captureDir ?? join(dataDir, 'outbound'));
}

async function createChannel(
  config: QueueConfig,
  storage: ProcessStorage,
  hostname: string,
  secret: string,
): Promise<DeliveryChannel> {
  const lmtp = new LmtpChannel({ clientName: hostname, timeoutMs: config.visibilitySeconds * 500, secret });
  if (!config.backendFunction) return new RoutingChannel({ lmtp });
  const clients = storage.clients;
  if (!clients) throw new Error('a backend function needs STRATO_STORAGE=aws');
  const { LambdaChannel } = await import('../adapters/aws/lambda-channel.ts');
  return new RoutingChannel({ lmtp, lambda: new LambdaChannel(clients.lambda) });
}

/** Where this storage's processors find dead jobs to report. */
export function deadLetterSource(storage: ProcessStorage): DeadLetterSource {
  return storage.deadLetters ?? listedDeadLetters(storage.queue);
}

/** Everything the core processor needs, built from storage and the queue config. */
export interface QueueRunnerOptions {
  readonly storage: ProcessStorage;
  readonly config: QueueConfig;
  readonly dataDir: string;
  readonly hostname: string;
  /** The cluster's delivery-channel secret (LMTP AUTH to the backends). */
  readonly channelSecret: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Who records the message history of this processor's jobs (frontend id, queue Lambda). */
  readonly actor: HistoryActor;
  /** DNS settings for direct MX delivery (default: read from the environment). */
  readonly dns?: DnsConfig;
}

export async function startQueueRunnerDeps(
  opts: QueueRunnerOptions,
): Promise<ProcessorDeps & { readonly history: HistoryRecorder; close(): Promise<void> }> {
  const { storage, config } = opts;
  const channel = await createChannel(config, storage, opts.hostname, opts.channelSecret);
  const own = await createRelay(config, storage, opts.dataDir, opts.hostname, {
    ...(opts.dns ? { dns: opts.dns } : {}),
    clock: opts.clock,
    logger: opts.logger,
  });
  // The routing table (strato route) decides per destination; `own` serves the rest.
  const relay = createRoutedRelay({
    config,
    storage,
    hostname: opts.hostname,
    env: process.env,
    ...(opts.dns ? { dns: opts.dns } : {}),
    clock: opts.clock,
    logger: opts.logger,
    own,
  });
  // Routing reads per job are cached briefly: a stale answer costs a redirect, never a wrong write.
  const registry = config.backendFunction
    ? fixedBackends([{ id: 'lambda', address: config.backendFunction, kind: 'lambda' }])
    : cachedRegistry(storage.backends, opts.clock, ROUTING_CACHE_MS);
  const history = new HistoryRecorder(storage.history, opts.actor, opts.clock, opts.logger);
  return {
    queue: storage.queue,
    messages: storage.messages,
    history,
    directory: storage.directory,
    leases: cachedLeaseReads(storage.leases, opts.clock, ROUTING_CACHE_MS),
    registry,
    // A moving account is routed again at once on what the registry and leases say now.
    freshRouting: { registry: config.backendFunction ? registry : storage.backends, leases: storage.leases },
    quickRetry: { delaySeconds: config.quickRetrySeconds, windowSeconds: config.quickRetryWindowSeconds },
    // Hold directives are read per job through a cache: a new hold reaches processors within it.
    holds: cachedHolds(storage.holds, opts.clock, config.holdsCacheMs),
    channel,
    relay,
    clock: opts.clock,
    logger: opts.logger,
    hostname: opts.hostname,
    backendMode: config.backendMode,
    schedule: {
      firstRetrySeconds: config.firstRetrySeconds,
      maxRetrySeconds: config.maxRetrySeconds,
      backoffFactor: 2,
      warnAfterSeconds: config.warnAfterSeconds,
      lifetimeSeconds: config.lifetimeSeconds,
    },
    async close() {
      await channel.close?.();
      await relay.close();
      await history.close();
    },
  };
}

/**
 * The processor with its channel and relay, not yet started: the frontend's ProcessingController
 * starts and stops it as the cluster's queue-processing settings say. `stop()` stops it (waiting
 * for its jobs) and closes the channel and relay.
 */
export async function createQueueRunner(opts: QueueRunnerOptions): Promise<QueueRunner> {
  const { config } = opts;
  const deps = await startQueueRunnerDeps(opts);
  const processor = new QueueProcessor(deps, {
    concurrency: config.concurrency,
    visibilitySeconds: config.visibilitySeconds,
    pollWaitMs: config.pollWaitMs,
    // Every processor sweeps dead letters. On AWS the source is the queue index's dead-letters
    // GSI (a Query the processors' role may make; no Scan), embedded the queue table's listing.
    deadLetters: { source: deadLetterSource(opts.storage), everyMs: config.deadLetterSweepMs },
  });
  return {
    processor,
    async stop() {
      await processor.stop();
      await deps.close();
    },
  };
}
