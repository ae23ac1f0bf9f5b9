/**
 * Backend role config (LMTP delivery endpoint that owns accounts). Read from the environment
 * once at start; an invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import { ENV } from './env-names.ts';
import { type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const schema = z.object({
  dataDir: z.string().default('./.strato'),
  hostname: z.string().min(1).default('localhost'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  backendId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .optional(),
  lmtpHost: z.string().default('127.0.0.1'),
  lmtpPort: port.default(2424),
  advertiseAddress: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'host:port')
    .optional(),
  leaseTtlMs: positiveInt.default(60_000),
  heartbeatMs: positiveInt.default(5_000),
  maxMessageSize: positiveInt.default(50 * 1024 * 1024),
});

export type BackendConfig = z.output<typeof schema> & { backendId: string; advertiseAddress: string };

const names = {
  dataDir: ENV.dataDir,
  hostname: ENV.hostname,
  logLevel: ENV.logLevel,
  backendId: ENV.backendId,
  lmtpHost: ENV.lmtpHost,
  lmtpPort: ENV.lmtpPort,
  advertiseAddress: ENV.backendAdvertise,
  leaseTtlMs: ENV.leaseTtlMs,
  heartbeatMs: ENV.heartbeatMs,
  maxMessageSize: ENV.maxMessageSize,
} as const;

export const BACKEND_ENV_NAMES: readonly string[] = Object.values(names);

export function parseBackendConfig(env: Env): BackendConfig {
  const c = parseRoleConfig('backend', schema, names, env);
  const advertiseAddress =
    c.advertiseAddress ?? `${c.lmtpHost === '0.0.0.0' ? '127.0.0.1' : c.lmtpHost}:${c.lmtpPort}`;
  return {
    ...c,
    backendId: c.backendId ?? `backend-${advertiseAddress.replace(/[^A-Za-z0-9._-]/g, '-')}`,
    advertiseAddress,
  };
}
