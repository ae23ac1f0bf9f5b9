/**
 * Admin process entry point (its own Fargate service on AWS, one worker of `npm start` locally):
 * validates its config, opens storage, builds the access layer, makes the first administrator on
 * a first start, loads TLS (the frontends' certificate source; a rotated certificate serves new
 * connections) and serves the admin API and the WebAdmin over HTTPS. Under the local cluster the
 * first administrator's name and password go to the primary in the ready message, which prints
 * them once in its banner; standalone they are logged once (`admin.first_admin`), unless
 * STRATO_ADMIN_FIRST_PASSWORD_SECRET_ID names a Secrets Manager secret holding the password (AWS):
 * then only the secret's id is logged.
 * SIGTERM/SIGINT: stop taking connections, close storage, exit 0. Exit codes: 2 config error,
 * 3 startup failure (port in use, unusable storage or certificate), 1 unexpected fault.
 */
import { adminRoutes } from '../../adapters/net/admin-http/admin-routes.ts';
import { type RunningAdminServer, startAdminServer } from '../../adapters/net/admin-http/server.ts';
import { type AdminConfig, parseAdminConfig } from '../../core/config/admin-config.ts';
import { DEFAULT_LOG_BUFFER_BYTES } from '../../core/config/defaults.ts';
import { ConfigError } from '../../core/config/errors.ts';
import { parseStorageConfig, type StorageConfig } from '../../core/config/storage-config.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { createLogger, exitAfterLogs, type ProcessLogger } from '../../runtime/logger.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { describeCertificate, startTlsReloader } from '../../runtime/tls-reloader.ts';
import { openTlsSource } from '../../runtime/tls-source.ts';
import { PROGRAM_VERSION } from '../../runtime/version.ts';
import { openAdminAccess } from './access.ts';

const EXIT_STARTUP = 3;

/** What the admin worker tells the local cluster's primary once it serves. */
export interface AdminReadyMessage {
  readonly type: 'strato.admin.ready';
  readonly pid: number;
  readonly ports: { readonly admin: number };
  readonly url: string;
  /** Only on the start that made the first administrator. */
  readonly firstAdmin?: { readonly name: string; readonly password: string };
}

function loadConfig(): { config: AdminConfig; storageConfig: StorageConfig } {
  try {
    return { config: parseAdminConfig(process.env), storageConfig: parseStorageConfig(process.env) };
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

interface Running {
  readonly server: RunningAdminServer;
  readonly storage: Storage;
  readonly reloader: { stop(): void } | undefined;
  readonly tls: { close(): void };
}

async function start(
  config: AdminConfig,
  storageConfig: StorageConfig,
  logger: ProcessLogger,
): Promise<Running> {
  const tls = await openTlsSource(config);
  const storage = await openStorage(storageConfig);
  try {
    const access = openAdminAccess(storage);
    const secretId = config.firstPasswordSecretId;
    const firstAdmin = await access.ensureFirstAdmin(
      secretId ? () => readFirstPassword(secretId, config.endpointSecretsManager) : undefined,
    );
    const server = await startAdminServer({
      access,
      routes: adminRoutes({ storage, hostname: config.hostname, onSqs: storageConfig.kind === 'aws' }),
      tls: tls.material,
      logger,
      version: PROGRAM_VERSION,
      port: config.port,
      host: config.host,
      maxBodyBytes: config.maxBodyBytes,
    });
    const reloader = tls.reload
      ? startTlsReloader({
          current: tls.material,
          reload: tls.reload,
          apply: (next) => server.server.setSecureContext({ key: next.key, cert: next.cert }),
          intervalMs: config.tlsReloadSeconds * 1000,
          logger,
        })
      : undefined;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `https://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${server.port}/`;
    logger.info({
      event: 'admin.started',
      url,
      tls: tls.material.source,
      certificate: describeCertificate(tls.material.cert),
    });
    // A password from a secret stays there: the log says only where it is.
    const shown = secretId ? undefined : firstAdmin;
    if (firstAdmin) {
      logger.info({
        event: 'admin.first_admin_created',
        name: firstAdmin.name,
        ...(secretId ? { passwordSecret: secretId } : {}),
      });
      // Standalone without a secret there is no banner: the one place the password is ever shown.
      if (shown && !process.send) logger.warn({ event: 'admin.first_admin', ...shown });
    }
    process.send?.({
      type: 'strato.admin.ready',
      pid: process.pid,
      ports: { admin: server.port },
      url,
      ...(shown ? { firstAdmin: shown } : {}),
    } satisfies AdminReadyMessage);
    return { server, storage, reloader, tls };
  } catch (err) {
    tls.close();
    await storage.close();
    throw err;
  }
}

/** The first administrator's password from Secrets Manager (the SDK is loaded only then). */
async function readFirstPassword(secretId: string, endpoint: string | undefined): Promise<string> {
  const { SecretReader } = await import('../../adapters/aws/secrets-manager.ts');
  const reader = new SecretReader(secretId, endpoint ? { endpoint } : {});
  try {
    return (await reader.read()).value;
  } finally {
    reader.close();
  }
}

/**
 * Stop on SIGTERM/SIGINT/disconnect. Installed before start: a signal that arrives while the
 * process is still starting (after `admin.started` was logged, before start returned) is kept and
 * acted on once it has started, instead of killing the process by the signal's default action.
 */
function stopOnSignals(logger: ProcessLogger): { started(running: Running): void } {
  let running: Running | undefined;
  let requested: string | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (!running) {
      requested ??= signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'admin.stopping', signal });
    running.reloader?.stop();
    await running.server.close();
    running.tls.close();
    await running.storage.close();
    logger.info({ event: 'admin.stopped' });
    exitAfterLogs(logger, 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Under `npm start` the primary orders the stop; Ctrl-C reaches every process of the group.
  process.on('SIGINT', () => (process.send ? undefined : void stop('SIGINT')));
  process.on('disconnect', () => void stop('primary-gone'));
  return {
    started(r: Running) {
      running = r;
      if (requested) void stop(requested);
    },
  };
}

async function main(): Promise<void> {
  const { config, storageConfig } = loadConfig();
  const logger = createLogger(
    { level: config.logLevel, role: 'admin' },
    { asyncBufferBytes: DEFAULT_LOG_BUFFER_BYTES },
  );
  const crash = (err: unknown) => {
    logger.fatal({ event: 'admin.crashed', err });
    exitAfterLogs(logger, 1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    const signals = stopOnSignals(logger);
    signals.started(await start(config, storageConfig, logger));
  } catch (err) {
    logger.fatal({ event: 'admin.start_failed', err });
    exitAfterLogs(logger, EXIT_STARTUP);
  }
}

void main();
