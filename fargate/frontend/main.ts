/**
 * Frontend process entry point (one Fargate task, or one `npm start` worker): validates its
 * config, opens storage, starts the three SMTP listeners and the queue-processing controller (which
 * runs the queue processor when the cluster's queue-processing setting picks this frontend, by
 * default when STRATO_QUEUE_PROCESSING is not false, and heartbeats the frontend registry), and
 * logs structured `event` lines.
 * SIGTERM/SIGINT (or losing the cluster primary) stops it gracefully: stop accepting, let
 * messages in flight finish, close storage, exit 0. Exit codes: 2 config error, 3 startup
 * failure (TLS, storage, a port that cannot be bound), 1 an uncaught fault — never limp on.
 */
import type { Server } from 'node:http';
import { hostname as osHostname } from 'node:os';
import { openDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { rspamdFilter } from '../../adapters/net/rspamd-filter.ts';
import { type DnsConfig, parseDnsConfig } from '../../core/config/dns-config.ts';
import { ENV } from '../../core/config/env-names.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { abuseLimits, type FrontendConfig, parseFrontendConfig } from '../../core/config/frontend-config.ts';
import { parseMetricsConfig } from '../../core/config/metrics-config.ts';
import { parseQueueConfig, type QueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig, type StorageConfig } from '../../core/config/storage-config.ts';
import type { ContentScanDeps } from '../../core/intake/content-scan.ts';
import { FilterBreaker } from '../../core/intake/filter-breaker.ts';
import { parseTrustedNetworks, type TrustedNetworks } from '../../core/intake/trusted-networks.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { ProcessingController } from '../../core/queue/processing-controller.ts';
import { HistoryRecorder } from '../../core/util/history-recorder.ts';
import { loadChannelSecret } from '../../runtime/channel-secret.ts';
import { createLogger, exitAfterLogs, type ProcessLogger } from '../../runtime/logger.ts';
import { type MetricsHandle, startMetrics } from '../../runtime/metrics/start-metrics.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { createQueueRunner, type QueueRunner } from '../../runtime/queue-runner.ts';
import { loadSrsSecret } from '../../runtime/srs-secret.ts';
import type { TlsMaterial } from '../../runtime/tls.ts';
import { describeCertificate, startTlsReloader } from '../../runtime/tls-reloader.ts';
import { openTlsSource, type TlsSource } from '../../runtime/tls-source.ts';
import { PROGRAM_VERSION } from '../../runtime/version.ts';
import { startHealthServer } from './health-server.ts';
import { createSmtpListeners, type SmtpListeners } from './smtp-listeners.ts';

export const EXIT_CONFIG = 2;
export const EXIT_STARTUP = 3;

/** Message a cluster worker sends its primary once every listener is bound. */
export interface FrontendReadyMessage {
  readonly type: 'strato.frontend.ready';
  readonly pid: number;
  readonly ports: Record<string, number>;
}

function loadConfig(): {
  config: FrontendConfig;
  queue: QueueConfig;
  trusted: TrustedNetworks;
  storageConfig: StorageConfig;
  dns: DnsConfig;
  metrics: ReturnType<typeof parseMetricsConfig>;
} {
  try {
    const config = parseFrontendConfig(process.env);
    const queue = parseQueueConfig(process.env);
    const storageConfig = parseStorageConfig(process.env);
    const dns = parseDnsConfig(process.env);
    const metrics = parseMetricsConfig(process.env);
    const trusted = parseTrustedNetworks(config.trustedNetworks);
    if (!trusted.ok)
      throw new ConfigError(
        'frontend',
        trusted.problems.map((p) => `${ENV.trustedNetworks}: ${p}`),
      );
    return { config, queue, trusted: trusted.value, storageConfig, dns, metrics };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}

function exitOnCrash(logger: ProcessLogger): void {
  const crash = (err: unknown) => {
    logger.fatal({ event: 'frontend.crashed', err });
    exitAfterLogs(logger, 1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

type LoadedConfig = ReturnType<typeof loadConfig>;

/** What main knows before startup: the config, this worker's id and its logger. */
interface Boot extends LoadedConfig {
  readonly frontendId: string;
  readonly logger: ProcessLogger;
  readonly metricsHandle: MetricsHandle;
}

/** The running frontend, as shutdown needs it. */
interface Running {
  readonly history: HistoryRecorder;
  readonly listeners: SmtpListeners;
  readonly storage: Storage;
  readonly runner: QueueRunner;
  readonly controller: ProcessingController;
  readonly health: Server | undefined;
  readonly tls: TlsSource;
  readonly tlsReloader: { stop(): void } | undefined;
}

/** Set once shutdown begins: new sessions get 421 and the health check 503. */
interface Lifecycle {
  stopping: boolean;
}

/** The SMTP listeners on this storage; sessions ask `lifecycle` whether shutdown has begun. */
function smtpListeners(
  boot: Boot,
  tls: TlsMaterial,
  storage: Storage,
  srsSecret: string,
  lifecycle: Lifecycle,
  history: HistoryRecorder,
) {
  const { config, logger } = boot;
  return createSmtpListeners(config, tls, {
    storage,
    trustedNetworks: boot.trusted,
    logger,
    pinoLogger: logger,
    clock: systemClock,
    hostname: config.hostname,
    frontendId: boot.frontendId,
    maxMessageSize: config.maxMessageSize,
    headerLimits: {
      maxFieldBytes: config.maxHeaderFieldSize,
      maxSectionBytes: config.maxHeaderSize,
      maxFields: config.maxHeaderFields,
    },
    srsSecret,
    rulesHopLimit: config.rulesHopLimit,
    allowIpLiteralRecipients: config.allowIpLiteralRecipients,
    ...(config.postmaster ? { postmaster: config.postmaster } : {}),
    limits: abuseLimits(config),
    clientSessions: storage.clientSessions,
    stopping: () => lifecycle.stopping,
    history,
    ...mailAuthDeps(boot),
    ...contentFilterDeps(boot),
  });
}

/** STRATO_CONTENT_FILTER: rspamd over HTTP with its timeout, breaker and fallback; unset = none. */
function contentFilterDeps({ config, logger }: Boot): { contentFilter?: ContentScanDeps } {
  if (!config.contentFilter) return {};
  const filter = rspamdFilter({ url: config.contentFilter.url, timeoutMs: config.contentFilterTimeoutMs });
  const breaker = new FilterBreaker(
    {
      failures: config.contentFilterBreakerFailures,
      coolDownMs: config.contentFilterBreakerSeconds * 1000,
    },
    systemClock,
    logger,
  );
  logger.info({ event: 'filter.configured', filter: filter.name, url: config.contentFilter.url });
  return {
    contentFilter: { filter, breaker, failure: config.contentFilterFailure, hostname: config.hostname },
  };
}

/** Our authserv-id, and the DNS-based checks of the MX port (SPF/DKIM/DMARC/ARC, DNSBL). */
function mailAuthDeps({ config, dns }: Boot) {
  const resolver = openDnsResolver(dns, systemClock);
  const authservId = config.authservId ?? config.hostname;
  const policy = { dmarcReject: config.dmarcReject, spfFail: config.spfFail };
  return {
    authservId,
    ...(config.inboundAuth ? { inboundAuth: { resolver, authservId, policy } } : {}),
    ...(config.dnsblZones.length > 0 ? { dnsbl: { resolver, zones: config.dnsblZones } } : {}),
  };
}

/**
 * The queue processor under its controller (on or off as the cluster setting, else
 * STRATO_QUEUE_PROCESSING, says; heartbeats the frontend registry) and the health endpoint.
 */
async function startBackground(boot: Boot, storage: Storage, listeners: SmtpListeners, lifecycle: Lifecycle) {
  const { config, logger } = boot;
  const runner = await createQueueRunner({
    storage,
    config: boot.queue,
    dataDir: config.dataDir,
    hostname: config.hostname,
    channelSecret: await loadChannelSecret(config.channelSecret, config.dataDir),
    clock: systemClock,
    logger,
    actor: { role: 'frontend', id: boot.frontendId },
    dns: boot.dns,
  });
  const controller = new ProcessingController({
    control: storage.control,
    processor: runner.processor,
    self: {
      id: boot.frontendId,
      group: config.group,
      address: config.hostname === 'localhost' ? osHostname() : config.hostname,
      version: PROGRAM_VERSION,
      startedAt: systemClock.now(),
    },
    defaults: {
      processing: boot.queue.enabled,
      concurrency: boot.queue.concurrency,
      allowed: boot.queue.allowed,
      // The environment's schedule; the cluster's stored retry and lifetime override it.
      schedule: runner.processor.schedule,
    },
    sessions: () => listeners.sessions(),
    clock: systemClock,
    logger,
    // A frontend that stops beating is shown gone after a few missed rounds.
    heartbeatTtlMs: Math.max(3 * boot.queue.controlIntervalMs, 10_000),
  });
  await controller.start(boot.queue.controlIntervalMs);
  // 503 as soon as shutdown begins, so the load balancer drains this task first.
  const health = config.healthPort
    ? await startHealthServer(config.healthPort, config.listenHost, () => !lifecycle.stopping)
    : undefined;
  return { runner, controller, health };
}

/**
 * TLS, storage, listeners bound, then the background services; tells a cluster primary it is
 * ready. `startup.stage` names the step under way, for the start_failed log line.
 */
async function start(boot: Boot, startup: { stage: string }, lifecycle: Lifecycle): Promise<Running> {
  const { config, logger } = boot;
  const tlsSource = await openTlsSource(config);
  const tls = tlsSource.material;
  startup.stage = 'storage';
  const storage = await openStorage(boot.storageConfig);
  const srsSecret = await loadSrsSecret(config.srsSecret, config.dataDir);
  const history = new HistoryRecorder(
    storage.history,
    { role: 'frontend', id: boot.frontendId },
    systemClock,
    logger,
  );
  const listeners = smtpListeners(boot, tls, storage, srsSecret, lifecycle, history);
  startup.stage = 'listen';
  const ports = await listeners.listen().catch(async (err) => {
    await storage.close();
    throw err;
  });
  const tlsReloader = tlsSource.reload
    ? startTlsReloader({
        current: tls,
        reload: tlsSource.reload,
        apply: (next) => listeners.updateTls(next),
        intervalMs: config.tlsReloadSeconds * 1000,
        logger,
      })
    : undefined;
  logger.info({
    event: 'frontend.started',
    group: config.group,
    ports,
    tls: tls.source,
    certificate: describeCertificate(tls.cert),
    dataDir: config.dataDir,
    trusted: boot.trusted.entries,
  });
  const { runner, controller, health } = await startBackground(boot, storage, listeners, lifecycle);
  process.send?.({ type: 'strato.frontend.ready', pid: process.pid, ports } satisfies FrontendReadyMessage);
  return { history, listeners, storage, runner, controller, health, tls: tlsSource, tlsReloader };
}

/**
 * Stop gracefully on SIGTERM, SIGINT or losing the cluster primary; exit 0 when done. Installed
 * before start: a signal that arrives while the process is still starting (after
 * `frontend.started` was logged, before start returned) is kept and acted on once it has started,
 * instead of killing the process by the signal's default action.
 */
function stopOnSignals(boot: Boot, lifecycle: Lifecycle): { started(running: Running): void } {
  const { config, logger } = boot;
  let running: Running | undefined;
  let requested: string | undefined;
  const stop = async (reason: string) => {
    const r = running;
    if (!r) {
      requested ??= reason;
      return;
    }
    if (lifecycle.stopping) return;
    lifecycle.stopping = true;
    logger.info({ event: 'frontend.stopping', reason });
    // Whatever happens, do not outlive the close timeout by much.
    setTimeout(() => {
      logger.error({ event: 'frontend.stop_timeout' });
      process.exit(1);
    }, config.closeTimeoutMs + 10_000).unref();
    // The controller stops the processor (its jobs finish) and deregisters; then the channel closes.
    await Promise.all([r.listeners.close(), r.controller.stop().then(() => r.runner.stop())]);
    r.health?.close();
    r.tlsReloader?.stop();
    r.tls.close();
    await r.history.close();
    await r.storage.close();
    boot.metricsHandle.stop();
    logger.info({ event: 'frontend.stopped', reason });
    exitAfterLogs(logger, 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A cluster worker whose primary died has no supervisor left: stop rather than run orphaned.
  process.on('disconnect', () => void stop('primary-gone'));
  return {
    started(r: Running) {
      running = r;
      if (requested) void stop(requested);
    },
  };
}

async function main(): Promise<void> {
  const loaded = loadConfig();
  const frontendId = `fe-${process.pid}@${osHostname()}`;
  // Asynchronous: a log reader that stops must never stop SMTP (runtime/logger.ts).
  const logger = createLogger(
    { level: loaded.config.logLevel, role: 'frontend', frontendId },
    { asyncBufferBytes: loaded.config.logBufferBytes },
  );
  exitOnCrash(logger);
  const metricsHandle = startMetrics({ config: loaded.metrics, role: 'frontend', logger });
  const boot: Boot = { ...loaded, frontendId, logger, metricsHandle };
  const startup = { stage: 'tls' };
  const lifecycle: Lifecycle = { stopping: false };
  try {
    const signals = stopOnSignals(boot, lifecycle);
    signals.started(await start(boot, startup, lifecycle));
  } catch (err) {
    logger.fatal({ event: 'frontend.start_failed', stage: startup.stage, err });
    exitAfterLogs(logger, EXIT_STARTUP);
  }
}

void main();
