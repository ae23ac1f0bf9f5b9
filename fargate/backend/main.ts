/**
 * Backend process entry point (a Fargate task, or one of `npm start`'s backend processes):
 * validates its config, opens storage, takes its id (configured, or a numbered slot claimed
 * through a lease: slot.ts), listens for LMTP, and heartbeats into the backend registry so queue
 * processors can find it. Mail its rules generate goes to the shared queue or,
 * with STRATO_GENERATED_MAIL=smtp, over SMTP to the frontends. On SIGTERM/SIGINT it hands its
 * accounts over (the lease handoff): it refuses new transactions as "backend stopping" (a
 * temporary answer the queue retries within seconds, elsewhere), deregisters so processors stop
 * choosing it, finishes the deliveries in flight, releases every account lease it holds and its
 * slot, then closes and exits 0. A config error exits 2; no free slot, a lost slot or an
 * unexpected fault is logged and exits 1.
 */
import { join } from 'node:path';
import type { SMTPServer } from 'smtp-server';
import { createLmtpServer, ensureSpoolDir } from '../../adapters/net/lmtp-server.ts';
import { type BackendConfig, parseBackendConfig } from '../../core/config/backend-config.ts';
import { BACKEND_DRAIN_MS, DEFAULT_LOG_BUFFER_BYTES } from '../../core/config/defaults.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { type MetricsConfig, parseMetricsConfig } from '../../core/config/metrics-config.ts';
import { parseStorageConfig, type StorageConfig } from '../../core/config/storage-config.ts';
import { DeliveryGate } from '../../core/delivery/delivery-gate.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { loadChannelSecret } from '../../runtime/channel-secret.ts';
import { buildDeliverDeps } from '../../runtime/deliver-deps.ts';
import { createLogger, exitAfterLogs, type ProcessLogger } from '../../runtime/logger.ts';
import { type MetricsHandle, startMetrics } from '../../runtime/metrics/start-metrics.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { loadSrsSecret } from '../../runtime/srs-secret.ts';
import { PROGRAM_VERSION } from '../../runtime/version.ts';
import { claimBackendSlot, keepBackendSlot } from './slot.ts';

/** The backend and storage config; a config error exits 2. */
function loadConfig(): { config: BackendConfig; storageConfig: StorageConfig; metrics: MetricsConfig } {
  try {
    return {
      config: parseBackendConfig(process.env),
      storageConfig: parseStorageConfig(process.env),
      metrics: parseMetricsConfig(process.env),
    };
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
    exitAfterLogs(logger, 1);
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
  const gate = new DeliveryGate();
  const server = createLmtpServer(deliverDeps, {
    spoolDir,
    hostname: config.hostname,
    maxMessageSize: config.maxMessageSize,
    gate,
    secret: await loadChannelSecret(config.channelSecret, config.dataDir),
    // Closed only after the handoff drained every delivery: what is left are idle pooled connections.
    closeTimeoutMs: 2_000,
  });
  server.on('error', (err) => logger.error({ event: 'backend.server_error', err: String(err) }));
  return { server, deliverDeps, gate };
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

/**
 * What shutdown undoes, in order: the gate (no new transactions), heartbeat and registration,
 * the deliveries in flight, the account leases, LMTP sessions, delivery deps, storage.
 */
interface Running {
  readonly me: Omit<BackendInfo, 'expiresAt'>;
  readonly heartbeat: NodeJS.Timeout;
  readonly server: SMTPServer;
  readonly gate: DeliveryGate;
  readonly deliverDeps: ReturnType<typeof buildDeliverDeps>;
  /** The slot this backend's id comes from, released once its sessions are done. */
  readonly slot: { release(): Promise<void> } | undefined;
  readonly storage: Storage;
  readonly drainMs: number;
}

/**
 * The lease handoff: refuse new work, leave the registry, let in-flight deliveries finish (up to
 * drainMs; a hung one's late writes are fenced by the epoch), then release every lease held so
 * another backend opens the accounts at once instead of waiting out the lease TTL.
 */
async function handOff(running: Running, logger: ProcessLogger): Promise<void> {
  const { gate, storage, deliverDeps } = running;
  const closing = gate.close(running.drainMs);
  clearInterval(running.heartbeat);
  await storage.backends.deregister(running.me.id).catch(() => {});
  const drained = await closing;
  const released = await deliverDeps.leaseCache.releaseAll(storage.leases, deliverDeps.backendId);
  logger.info({ event: 'backend.leases_released', drained, inFlight: gate.inFlight, ...released });
}

function stopOnSignals(running: Running, logger: ProcessLogger, metricsHandle: MetricsHandle): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'backend.stopping', signal });
    await handOff(running, logger);
    await new Promise<void>((resolve) => running.server.close(() => resolve()));
    await running.deliverDeps.close();
    await running.slot?.release();
    await running.storage.close();
    metricsHandle.stop();
    exitAfterLogs(logger, 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Under `npm start` a terminal's Ctrl-C reaches every process of the group at once; a cluster
  // worker leaves the order to its primary (frontends stop first, then backends).
  process.on('SIGINT', () => (process.send ? undefined : void stop('SIGINT')));
  // A cluster worker whose primary died has no supervisor left: stop rather than run orphaned.
  process.on('disconnect', () => void stop('primary-gone'));
}

async function main(): Promise<void> {
  const { config: configured, storageConfig, metrics } = loadConfig();
  const storage = await openStorage(storageConfig);
  const claim = configured.slots ? await claimBackendSlot(storage, configured, configured.slots) : undefined;
  const config = claim ? { ...configured, backendId: claim.backendId } : configured;
  // Asynchronous: a log reader that stops must never stop LMTP delivery (runtime/logger.ts).
  const logger = createLogger(
    { level: config.logLevel, role: 'backend', backendId: config.backendId },
    { asyncBufferBytes: DEFAULT_LOG_BUFFER_BYTES },
  );
  exitOnCrash(logger);
  const metricsHandle = startMetrics({ config: metrics, role: 'backend', logger });
  const slot = claim ? keepBackendSlot(storage, config, claim, logger) : undefined;
  const { server, deliverDeps, gate } = await lmtpServer(config, storage, logger);
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
    ...(claim ? { slot: claim.backendId, instance: claim.instance } : {}),
    generatedMail:
      config.generatedMail === 'smtp'
        ? `smtp ${config.generatedSmtpHost}:${config.generatedSmtpPort}`
        : 'queue',
  });
  process.send?.({ type: 'strato.backend.ready', pid: process.pid, id: me.id, address: me.address });
  // Deliveries in flight get as long as a lease lasts: waiting longer would hand nothing over sooner.
  const drainMs = Math.min(config.leaseTtlMs, BACKEND_DRAIN_MS);
  stopOnSignals({ me, heartbeat, server, gate, deliverDeps, slot, storage, drainMs }, logger, metricsHandle);
}

main().catch((err) => {
  console.error(JSON.stringify({ level: 'fatal', event: 'backend.crashed', err: String(err?.stack ?? err) }));
  process.exit(1);
});
