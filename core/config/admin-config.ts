/**
 * Admin process config (fargate/admin: the admin API and the WebAdmin over HTTPS): where it
 * listens, the request body limit, and its TLS certificate, read from the same variables as the
 * frontends' (STRATO_TLS_SECRET, or STRATO_TLS_CERT/KEY, else a self-signed pair in the data
 * dir). Read once at start; an invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import {
  DEFAULT_ADMIN_MAX_BODY_BYTES,
  DEFAULT_ADMIN_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_HOSTNAME,
  DEFAULT_LOG_LEVEL,
  DEFAULT_TLS_RELOAD_SECONDS,
  LOG_LEVELS,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { bool, checkTlsSources, type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const schema = z.object({
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  hostname: z.string().min(1).default(DEFAULT_HOSTNAME),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  /** Loopback by default: on one machine only its operator reaches it; a Fargate task sets 0.0.0.0. */
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(DEFAULT_ADMIN_PORT),
  maxBodyBytes: positiveInt.default(DEFAULT_ADMIN_MAX_BODY_BYTES),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  tlsSecret: z.string().min(1).optional(),
  tlsReloadSeconds: positiveInt.default(DEFAULT_TLS_RELOAD_SECONDS),
  tlsSelfSignedAllowed: bool.default(true),
  endpointSecretsManager: z.url().optional(),
  /** The first administrator's password from this Secrets Manager secret (AWS), so none is logged. */
  firstPasswordSecretId: z.string().min(1).optional(),
});

export type AdminConfig = z.output<typeof schema>;

const names = {
  dataDir: ENV.dataDir,
  hostname: ENV.hostname,
  logLevel: ENV.logLevel,
  host: ENV.adminHost,
  port: ENV.adminPort,
  maxBodyBytes: ENV.adminMaxBodyBytes,
  tlsCert: ENV.tlsCert,
  tlsKey: ENV.tlsKey,
  tlsSecret: ENV.tlsSecret,
  tlsReloadSeconds: ENV.tlsReloadSeconds,
  tlsSelfSignedAllowed: ENV.tlsSelfSignedAllowed,
  endpointSecretsManager: ENV.endpointSecretsManager,
  firstPasswordSecretId: ENV.adminFirstPasswordSecretId,
} as const;

/** Every variable the admin process reads (the CDK construct sets these). */
export const ADMIN_ENV_NAMES: readonly string[] = Object.values(names);

export function parseAdminConfig(env: Env): AdminConfig {
  const config = parseRoleConfig('admin', schema, names, env);
  checkTlsSources('admin', config, { cert: ENV.tlsCert, key: ENV.tlsKey, secret: ENV.tlsSecret });
  return config;
}
