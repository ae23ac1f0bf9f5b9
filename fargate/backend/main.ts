/**
 * Backend process entry point (a Fargate task, or one of `npm start`'s backend processes):
 * validates its config, opens storage, listens for LMTP, and heartbeats into the backend
 * registry so queue processors can find it. Mail its rules generate goes to the shared queue or,
 * with STRATO_GENERATED_MAIL=smtp, over SMTP to the frontends. On SIGTERM/SIGINT it deregisters, finishes open
 * sessions and exits 0; a config error exits 2; an unexpected fault is logged and exits 1.
 */
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { createLmtpServer, ensureSpoolDir } from '../../adapters/net/lmtp-server.ts';
import { type BackendConfig, parseBackendConfig } from '../../core/config/backend-config.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { parseStorageConfig, type StorageConfig } from '../../core/config/storage-config.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { buildDeliverDeps } from '../../runtime/deliver-deps.ts';
import { createLogger, type ProcessLogger } from '../../runtime/logger.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { loadSrsSecret } from '../../runtime/srs-secret.ts';
import { PROGRAM_VERSION } from '../../runtime/version.ts';

/** The backend and storage config; a config error exits 2. */
function loadConfig(): { config: BackendConfig; storageConfig: StorageConfig } {
  try {
    return { config: parseBackendConfig(process.env), storageConfig: parseStorageConfig(process.env) };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

function exitOnCrash(logger: ProcessLogger): void {
  const crash = (err: unknown) => {
    logger.fatal({ event: 'backend.crashed', err });
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/** The LMTP server running the delivery use case on this storage, spooling under the data dir. */
async function lmtpServer(config: BackendConfig, storage: Storage, logger: ProcessLogger) {
  const spoolDir = join(config.dataDir, 'tmp', 'lmtp');
  await ensureSpoolDir(spoolDir);
  const srsSecret = await loadSrsSecret(config.srsSecret, config.dataDir);
  const deliverDeps = buildDeliverDeps(storage, config, { clock: systemClock, logger, srsSecret });
  const server = createLmtpServer(deliverDeps, {
    spoolDir,
    hostname: config.hostname,
    maxMessageSize: config.maxMessageSize,
  });
  server.on('error', (err) => logger.error({ event: 'backend.server_error', err: String(err) }));
  return { server, deliverDeps };
}

function listen(server: SMTPServer, config: BackendConfig): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: a node:cluster worker binds its own port instead of sharing one via the primary.
    server.listen({ port: config.lmtpPort, host: config.lmtpHost, exclusive: true }, () => resolve());
  });
}

/** Beat once now, then every heartbeatMs (each beat valid for three periods); a failed beat is logged. */
async function startHeartbeat(
  storage: Storage,
  me: () => Omit<BackendInfo, 'expiresAt'>,
  config: BackendConfig,
  logger: ProcessLogger,
): Promise<NodeJS.Timeout> {
  const beat = () =>
    storage.backends
      .heartbeat(me(), config.heartbeatMs * 3)
      .catch((err) => logger.warn({ event: 'backend.heartbeat_failed', err: String(err) }));
  await beat();
  return setInterval(beat, config.heartbeatMs);
}

/** What shutdown undoes, in order: heartbeat, registration, LMTP sessions, delivery deps, storage. */
interface Running {
  readonly me: Omit<BackendInfo, 'expiresAt'>;
  readonly heartbeat: NodeJS.Timeout;
  readonly server: SMTPServer;
  readonly deliverDeps: { close(): Promise<void> };
  readonly storage: Storage;
}

function stopOnSignals(running: Running, logger: ProcessLogger): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'backend.stopping', signal });
    clearInterval(running.heartbeat);
    await running.storage.backends.deregister(running.me.id).catch(() => {});
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
    await running.deliverDeps.close();
    await running.storage.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Under `npm start` a terminal's Ctrl-C reaches every process of the group at once; a cluster
  // worker leaves the order to its primary (frontends stop first, then backends).
  process.on('SIGINT', () => (process.send ? undefined : void stop('SIGINT')));
  // A cluster worker whose primary died has no supervisor left: stop rather than run orphaned.
  process.on('disconnect', () => void stop('primary-gone'));
}

async function main(): Promise<void> {
  const { config, storageConfig } = loadConfig();
  const logger = createLogger({ level: config.logLevel, role: 'backend', backendId: config.backendId });
  exitOnCrash(logger);
  const storage = await openStorage(storageConfig);
  const { server, deliverDeps } = await lmtpServer(config, storage, logger);
  const me = { id: config.backendId, address: config.advertiseAddress, kind: 'lmtp' as const };
  await listen(server, config);
  const startedAt = systemClock.now();
  // Each beat also says what `strato cluster backends` shows: accounts open now, start, version.
  const facts = () => ({
    ...me,
    accountsOpen: deliverDeps.leaseCache?.size ?? 0,
    startedAt,
    version: PROGRAM_VERSION,
  });
  const heartbeat = await startHeartbeat(storage, facts, config, logger);
  logger.info({
    event: 'backend.started',
    lmtp: `${config.lmtpHost}:${config.lmtpPort}`,
    address: me.address,
    generatedMail:
      config.generatedMail === 'smtp'
        ? `smtp ${config.generatedSmtpHost}:${config.generatedSmtpPort}`
        : 'queue',
  });
  process.send?.({ type: 'strato.backend.ready', pid: process.pid, id: me.id, address: me.address });
  stopOnSignals({ me, heartbeat, server, deliverDeps, storage }, logger);
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', event: 'backend.crashed', err: String(err?.stack ?? err) }));
  process.exit(1);
});
