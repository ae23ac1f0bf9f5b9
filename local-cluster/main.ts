/**
 * `npm start`: a one-machine Strato cluster. The node:cluster primary validates the config once,
 * makes the TLS certificate (before forking, so workers never race to create it), seeds the demo
 * domain on first start, forks STRATO_FRONTEND_WORKERS frontend workers sharing the SMTP ports
 * (each also processes the queue) and STRATO_BACKENDS LMTP backends, restarts crashed workers,
 * keeps <dataDir>/run/cluster.json current, prints a banner and, on embedded storage, sweeps
 * orphaned spool bodies hourly. Unless STRATO_ADMIN=false it also forks the admin process (admin
 * API and WebAdmin over HTTPS), and the banner shows its URL and, on the start that made them,
 * the first administrator's name and password.
 * SIGINT/SIGTERM: workers stop gracefully, then exit 0 (a second signal kills them at once).
 * Exit codes: 2 config error, 1 startup failure or a worker that could not be stopped.
 */

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAdminConfig } from '../core/config/admin-config.ts';
import { parseBackendConfig } from '../core/config/backend-config.ts';
import { BACKEND_DRAIN_MS } from '../core/config/defaults.ts';
import { parseDnsConfig } from '../core/config/dns-config.ts';
import { ENV } from '../core/config/env-names.ts';
import { ConfigError } from '../core/config/errors.ts';
import { type FrontendConfig, parseFrontendConfig } from '../core/config/frontend-config.ts';
import { type LocalClusterConfig, parseLocalClusterConfig } from '../core/config/local-cluster-config.ts';
import { parseQueueConfig } from '../core/config/queue-config.ts';
import { parseStorageConfig } from '../core/config/storage-config.ts';
import { parseTrustedNetworks } from '../core/intake/trusted-networks.ts';
import { systemClock } from '../core/ports/clock.ts';
import type { Logger } from '../core/ports/logger.ts';
import {
  emulatorStorageEnv,
  removeLocalStorageEnv,
  writeLocalStorageEnv,
} from '../runtime/local-storage-env.ts';
import { createLogger, exitAfterLogs } from '../runtime/logger.ts';
import { openStorage } from '../runtime/open-storage.ts';
import { ensureTlsMaterial, type TlsMaterial } from '../runtime/tls.ts';
import { formatBanner } from './banner.ts';
import { clusterStatePath, removeClusterState, writeClusterState } from './cluster-state.ts';
import { DEMO_DOMAIN, DEMO_POSTMASTER, type SeedResult, seedDemo } from './demo-seed.ts';
import { startOrphanSweeper } from './orphan-sweeper.ts';
import { type AdminFacts, Supervisor, type WorkerSpec } from './supervisor.ts';

/** Validate the frontend and cluster config together, so every problem is listed at once. */
function loadConfig(): { frontend: FrontendConfig; cluster: LocalClusterConfig } {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const frontend = attempt(() => parseFrontendConfig(process.env));
  const cluster = attempt(() => parseLocalClusterConfig(process.env));
  attempt(() => parseQueueConfig(process.env));
  attempt(() => parseDnsConfig(process.env));
  attempt(() => parseStorageConfig(process.env));
  attempt(() => parseBackendConfig(process.env));
  attempt(() => parseDnsConfig(process.env)); // the frontend workers inherit STRATO_DNS_*
  if (cluster?.admin !== false) attempt(() => parseAdminConfig(process.env));
  // Read straight from the environment so a bad list is reported even when other values are bad too.
  const trusted = parseTrustedNetworks((process.env[ENV.trustedNetworks] ?? '').split(','));
  if (!trusted.ok) problems.push(...trusted.problems.map((p) => `${ENV.trustedNetworks}: ${p}`));
  if (problems.length > 0 || !frontend || !cluster) {
    console.error(new ConfigError('local-cluster', problems).message);
    process.exit(2);
  }
  return { frontend, cluster };
}

function exitOnCrash(logger: Logger): void {
  const crash = (err: unknown) => {
    logger.fatal({ event: 'cluster.crashed', err });
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/**
 * Open storage once in the primary to seed the demo domain (or see whether it exists), then close
 * it: workers open their own handles. Also says whether storage is embedded (orphan sweeping).
 */
async function prepareStorage(cluster: LocalClusterConfig, dataDir: string, logger: Logger) {
  const storageConfig = parseStorageConfig({ ...process.env, [ENV.dataDir]: dataDir });
  const storage = await openStorage(storageConfig);
  let demo: SeedResult = 'skipped';
  try {
    if (cluster.seedDemo) demo = await seedDemo(storage.directory, systemClock);
    else demo = (await storage.directory.getDomain(DEMO_DOMAIN)) ? 'exists' : 'skipped';
  } finally {
    await storage.close(); // workers open their own handles
  }
  if (demo === 'seeded') logger.info({ event: 'cluster.demo_seeded', domain: DEMO_DOMAIN });
  return { demo, embedded: storageConfig.kind === 'embedded' };
}

/**
 * On the AWS emulators, tell the CLI where this cluster's storage is (<dataDir>/run/storage.json),
 * so `npx strato …` beside it works as the banner shows; on embedded storage, drop a file a killed
 * emulator cluster left behind.
 */
async function shareStorageWithCli(dataDir: string, embedded: boolean): Promise<void> {
  const env = embedded ? undefined : emulatorStorageEnv(process.env);
  if (env) await writeLocalStorageEnv(dataDir, env);
  else await removeLocalStorageEnv(dataDir);
}

/** Writes <dataDir>/run/cluster.json from the supervisor's view; `flushed` waits for the last write. */
function clusterStateFile(dataDir: string, logger: Logger) {
  const path = clusterStatePath(dataDir);
  const startedAt = new Date().toISOString();
  let writes = Promise.resolve();
  const save = (supervisor: Supervisor) => {
    // Serialised, so an older snapshot can never be renamed over a newer one.
    writes = writes
      .then(() =>
        writeClusterState(path, {
          primaryPid: process.pid,
          startedAt,
          dataDir,
          ports: supervisor.ports,
          workers: supervisor.workerStates(),
          restarts: supervisor.restarts,
          updatedAt: new Date().toISOString(),
        }),
      )
      .catch((err) => logger.warn({ event: 'cluster.state_write_failed', err }));
  };
  return { path, save, flushed: () => writes };
}

/** The configured number of frontend workers, then one backend per LMTP port from the base port. */
function workerSpecs(cluster: LocalClusterConfig): WorkerSpec[] {
  const frontendExec = fileURLToPath(new URL('../fargate/frontend/main.ts', import.meta.url));
  const backendExec = fileURLToPath(new URL('../fargate/backend/main.ts', import.meta.url));
  const adminExec = fileURLToPath(new URL('../fargate/admin/main.ts', import.meta.url));
  return [
    ...Array.from({ length: cluster.frontendWorkers }, () => ({
      role: 'frontend' as const,
      exec: frontendExec,
    })),
    ...Array.from({ length: cluster.backends }, (_, i) => ({
      role: 'backend' as const,
      exec: backendExec,
      // With STRATO_BACKEND_SLOTS the backends claim their ids (backend-1..N) themselves.
      env: {
        [ENV.lmtpPort]: String(cluster.lmtpBasePort + i),
        ...(process.env[ENV.backendSlots] ? {} : { [ENV.backendId]: `backend-${i + 1}` }),
      },
    })),
    // The admin API and WebAdmin: one worker on its own port (STRATO_ADMIN_PORT).
    ...(cluster.admin ? [{ role: 'admin' as const, exec: adminExec }] : []),
  ];
}

/** What the started banner shows besides the ports. */
interface ClusterFacts {
  readonly frontend: FrontendConfig;
  readonly cluster: LocalClusterConfig;
  readonly dataDir: string;
  readonly demo: SeedResult;
  readonly tls: TlsMaterial;
}

/**
 * The banner is a courtesy: a stdout that cannot take it (a full log disk, a closed pipe) must
 * not crash the primary, which hands every SMTP connection to the workers.
 */
function printBanner(text: string): void {
  process.stdout.on('error', () => {});
  try {
    process.stdout.write(`${text}\n`);
  } catch {
    // ENOSPC and friends on a file or device stdout: skip the banner
  }
}

/** Log cluster.started and print the banner once every worker is ready. */
function announceStarted(
  logger: Logger,
  facts: ClusterFacts,
  ports: Record<string, number>,
  admin: AdminFacts | undefined,
): void {
  const { frontend, cluster, dataDir, tls } = facts;
  logger.info({
    event: 'cluster.started',
    ports,
    workers: cluster.frontendWorkers,
    backends: cluster.backends,
    dataDir,
    ...(admin ? { admin: admin.url } : {}),
  });
  printBanner(
    formatBanner({
      ports,
      host: frontend.listenHost,
      dataDir,
      workers: cluster.frontendWorkers,
      backends: Array.from({ length: cluster.backends }, (_, i) => cluster.lmtpBasePort + i),
      primaryPid: process.pid,
      demo: facts.demo !== 'skipped',
      tls: tls.source === 'self-signed' ? `self-signed, ${tls.path}` : tls.path,
      ...(admin ? { admin } : {}),
    }),
  );
}

/**
 * The shutdown: stop the workers gracefully (frontends first), wait for the last state write,
 * remove cluster.json and exit; a second call kills every worker at once and exits 1.
 */
function clusterStopper(parts: {
  readonly supervisor: Supervisor;
  readonly sweeper: { stop(): void } | undefined;
  readonly state: ReturnType<typeof clusterStateFile>;
  readonly logger: Logger;
  readonly closeTimeoutMs: number;
  readonly dataDir: string;
}): (reason: string, code?: number) => Promise<void> {
  const { supervisor, state, logger } = parts;
  let stopping = false;
  return async (reason, code = 0) => {
    if (stopping) {
      logger.warn({ event: 'cluster.force_stop', reason });
      supervisor.killAll();
      process.exit(1);
    }
    stopping = true;
    parts.sweeper?.stop();
    logger.info({ event: 'cluster.stopping', reason });
    // Backends hand their accounts over last: allow for their drain too (fargate/backend/main.ts).
    const clean = await supervisor.shutdown(parts.closeTimeoutMs + 15_000 + BACKEND_DRAIN_MS);
    await state.flushed();
    await removeClusterState(state.path).catch(() => {});
    await removeLocalStorageEnv(parts.dataDir).catch(() => {});
    logger.info({ event: 'cluster.stopped', reason, clean });
    exitAfterLogs(logger, clean ? code : 1);
  };
}

async function main(): Promise<void> {
  const { frontend, cluster } = loadConfig();
  const dataDir = resolve(frontend.dataDir);
  // Workers inherit the environment: pin the data dir so they agree with us whatever their cwd.
  process.env[ENV.dataDir] = dataDir;
  // Asynchronous like the workers': the primary hands connections to them (round-robin), so a
  // log reader that stops must not stop it either.
  const logger = createLogger(
    { level: frontend.logLevel, role: 'local-cluster' },
    { asyncBufferBytes: frontend.logBufferBytes },
  );
  exitOnCrash(logger);

  const tls = await ensureTlsMaterial({ ...frontend, dataDir });
  const { demo, embedded } = await prepareStorage(cluster, dataDir, logger);
  // Postmaster mail is never refused on the local cluster: without STRATO_POSTMASTER it goes to
  // the demo domain's alice (workers inherit the environment).
  if (demo !== 'skipped' && !process.env[ENV.postmaster]) process.env[ENV.postmaster] = DEMO_POSTMASTER;
  const sweeper = embedded ? startOrphanSweeper({ dataDir, logger }) : undefined;
  await shareStorageWithCli(dataDir, embedded);
  const state = clusterStateFile(dataDir, logger);
  const facts: ClusterFacts = { frontend, cluster, dataDir, demo, tls };
  const supervisor: Supervisor = new Supervisor({
    specs: workerSpecs(cluster),
    logger,
    onChange: () => state.save(supervisor),
    onAllReady: (ports) => announceStarted(logger, facts, ports, supervisor.admin),
    onFatal: (code, why) => {
      logger.fatal({ event: 'cluster.fatal', why });
      void stop(why, code);
    },
  });
  const stop = clusterStopper({
    supervisor,
    sweeper,
    state,
    logger,
    closeTimeoutMs: frontend.closeTimeoutMs,
    dataDir,
  });
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  supervisor.start();
}

void main();
