/**
 * Frontend process entry point (one Fargate task, or one `npm start` worker): validates its
 * config, opens storage, starts the three SMTP listeners and (unless STRATO_QUEUE_PROCESSING=false)
 * the queue processor, and logs structured `event` lines.
 * SIGTERM/SIGINT (or losing the cluster primary) stops it gracefully: stop accepting, let
 * messages in flight finish, close storage, exit 0. Exit codes: 2 config error, 3 startup
 * failure (TLS, storage, a port that cannot be bound), 1 an uncaught fault — never limp on.
 */
import { hostname as osHostname } from 'node:os';
import { ENV } from '../../core/config/env-names.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { type FrontendConfig, parseFrontendConfig } from '../../core/config/frontend-config.ts';
import { parseQueueConfig, type QueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig, type StorageConfig } from '../../core/config/storage-config.ts';
import { parseTrustedNetworks, type TrustedNetworks } from '../../core/intake/trusted-networks.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { createLogger, type ProcessLogger } from '../../runtime/logger.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { startQueueRunner } from '../../runtime/queue-runner.ts';
import { loadSrsSecret } from '../../runtime/srs-secret.ts';
import { ensureTlsMaterial } from '../../runtime/tls.ts';
import { startHealthServer } from './health-server.ts';
import { createSmtpListeners } from './smtp-listeners.ts';

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
} {
  try {
    const config = parseFrontendConfig(process.env);
    const queue = parseQueueConfig(process.env);
    const storageConfig = parseStorageConfig(process.env);
    const trusted = parseTrustedNetworks(config.trustedNetworks);
    if (!trusted.ok)
      throw new ConfigError(
        'frontend',
        trusted.problems.map((p) => `${ENV.trustedNetworks}: ${p}`),
      );
    return { config, queue, trusted: trusted.value, storageConfig };
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
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

async function main(): Promise<void> {
  const { config, queue, trusted, storageConfig } = loadConfig();
  const frontendId = `fe-${process.pid}@${osHostname()}`;
  const logger = createLogger({ level: config.logLevel, role: 'frontend', frontendId });
  exitOnCrash(logger);

  let startup = 'tls';
  try {
    const tls = await ensureTlsMaterial(config);
    startup = 'storage';
    const storage = await openStorage(storageConfig);
    const srsSecret = await loadSrsSecret(config.srsSecret, config.dataDir);
    let stopping = false;
    const listeners = createSmtpListeners(config, tls, {
      storage,
      trustedNetworks: trusted,
      logger,
      pinoLogger: logger,
      clock: systemClock,
      hostname: config.hostname,
      frontendId,
      maxMessageSize: config.maxMessageSize,
      srsSecret,
      rulesHopLimit: config.rulesHopLimit,
      stopping: () => stopping,
    });
    startup = 'listen';
    const ports = await listeners.listen().catch(async (err) => {
      await storage.close();
      throw err;
    });
    logger.info({
      event: 'frontend.started',
      ports,
      tls: tls.source,
      dataDir: config.dataDir,
      trusted: trusted.entries,
    });
    const runner = queue.enabled
      ? await startQueueRunner({
          storage,
          config: queue,
          dataDir: config.dataDir,
          hostname: config.hostname,
          clock: systemClock,
          logger,
        })
      : undefined;
    // 503 as soon as shutdown begins, so the load balancer drains this task first.
    const health = config.healthPort
      ? await startHealthServer(config.healthPort, config.listenHost, () => !stopping)
      : undefined;
    process.send?.({ type: 'strato.frontend.ready', pid: process.pid, ports } satisfies FrontendReadyMessage);

    const stop = async (reason: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'frontend.stopping', reason });
      // Whatever happens, do not outlive the close timeout by much.
      setTimeout(() => {
        logger.error({ event: 'frontend.stop_timeout' });
        process.exit(1);
      }, config.closeTimeoutMs + 10_000).unref();
      await Promise.all([listeners.close(), runner?.stop()]);
      health?.close();
      await storage.close();
      logger.info({ event: 'frontend.stopped', reason });
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    // A cluster worker whose primary died has no supervisor left: stop rather than run orphaned.
    process.on('disconnect', () => void stop('primary-gone'));
  } catch (err) {
    logger.fatal({ event: 'frontend.start_failed', stage: startup, err });
    process.exit(EXIT_STARTUP);
  }
}

void main();
