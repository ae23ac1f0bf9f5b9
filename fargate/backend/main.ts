/**
 * Backend process entry point (a Fargate task, or one of `npm start`'s backend processes):
 * validates its config, opens storage, listens for LMTP, and heartbeats into the backend
 * registry so queue processors can find it. Mail its rules generate goes to the shared queue or,
 * with STRATO_GENERATED_MAIL=smtp, over SMTP to the frontends. On SIGTERM/SIGINT it deregisters, finishes open
 * sessions and exits 0; a config error exits 2; an unexpected fault is logged and exits 1.
 */
import { join } from 'node:path';
import { createLmtpServer, ensureSpoolDir } from '../../adapters/net/lmtp-server.ts';
import { parseBackendConfig } from '../../core/config/backend-config.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { buildDeliverDeps } from '../../runtime/deliver-deps.ts';
import { createLogger } from '../../runtime/logger.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { loadSrsSecret } from '../../runtime/srs-secret.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof parseBackendConfig>;
  let storageConfig: ReturnType<typeof parseStorageConfig>;
  try {
    config = parseBackendConfig(process.env);
    storageConfig = parseStorageConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, role: 'backend', backendId: config.backendId });
  const crash = (err: unknown) => {
    logger.fatal({ event: 'backend.crashed', err });
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const storage = await openStorage(storageConfig);
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

  const me = { id: config.backendId, address: config.advertiseAddress, kind: 'lmtp' as const };
  const beat = () =>
    storage.backends
      .heartbeat(me, config.heartbeatMs * 3)
      .catch((err) => logger.warn({ event: 'backend.heartbeat_failed', err: String(err) }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: a node:cluster worker binds its own port instead of sharing one via the primary.
    server.listen({ port: config.lmtpPort, host: config.lmtpHost, exclusive: true }, () => resolve());
  });
  await beat();
  const heartbeat = setInterval(beat, config.heartbeatMs);
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'backend.stopping', signal });
    clearInterval(heartbeat);
    await storage.backends.deregister(me.id).catch(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await deliverDeps.close();
    await storage.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Under `npm start` a terminal's Ctrl-C reaches every process of the group at once; a cluster
  // worker leaves the order to its primary (frontends stop first, then backends).
  process.on('SIGINT', () => (process.send ? undefined : void stop('SIGINT')));
  // A cluster worker whose primary died has no supervisor left: stop rather than run orphaned.
  process.on('disconnect', () => void stop('primary-gone'));
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', event: 'backend.crashed', err: String(err?.stack ?? err) }));
  process.exit(1);
});
