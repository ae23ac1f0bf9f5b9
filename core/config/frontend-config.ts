/**
 * Frontend role config (SMTP intake): ports, TLS, limits, relay control. Read from the
 * environment once at process start; an invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_FRONTEND_GROUP,
  DEFAULT_HEADER_LIMITS,
  DEFAULT_HOSTNAME,
  DEFAULT_LOG_BUFFER_BYTES,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MX_PORT,
  DEFAULT_RULES_HOP_LIMIT,
  DEFAULT_SUBMISSION_PORT,
  DEFAULT_TLS_PORT,
  LOG_LEVELS,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { ConfigError } from './errors.ts';
import { bool, csv, type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const schema = z.object({
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  hostname: z.string().min(1).default(DEFAULT_HOSTNAME),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  /** Bytes of log lines held while stdout is not writable; beyond, lines are dropped (log.dropped). */
  logBufferBytes: positiveInt.default(DEFAULT_LOG_BUFFER_BYTES),
  listenHost: z.string().default('0.0.0.0'),
  mxPort: port.default(DEFAULT_MX_PORT),
  submissionPort: port.default(DEFAULT_SUBMISSION_PORT),
  tlsPort: port.default(DEFAULT_TLS_PORT),
  /** Plain SMTP for the backends' generated mail in forward mode; unset = no such listener. */
  internalPort: port.optional(),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  maxMessageSize: positiveInt.default(25 * 1024 * 1024),
  maxRecipients: positiveInt.default(1000),
  /** Header limits (552 5.3.4 at the end of DATA): one field, the section, the field count. */
  maxHeaderFieldSize: positiveInt.default(DEFAULT_HEADER_LIMITS.maxFieldBytes),
  maxHeaderSize: positiveInt.default(DEFAULT_HEADER_LIMITS.maxSectionBytes),
  maxHeaderFields: positiveInt.default(DEFAULT_HEADER_LIMITS.maxFields),
  maxQueued: z.coerce.number().int().min(0).default(DEFAULT_MAX_QUEUED),
  trustedNetworks: csv.default([]),
  reverseDns: bool.default(false),
  /** Accept RCPT TO:<x@[10.0.0.5]> (address literals); off: refused 550 5.7.1 for everyone. */
  allowIpLiteralRecipients: bool.default(false),
  /** Where bare `postmaster` and unknown postmaster@<hosted domain> go; unset = no such rule. */
  postmaster: z
    .string()
    .regex(/^[^@\s<>]+@[^@\s<>]+$/, 'an address local@domain')
    .transform((a) => a.toLowerCase())
    .optional(),
  socketTimeoutMs: positiveInt.default(5 * 60 * 1000),
  closeTimeoutMs: positiveInt.default(30 * 1000),
  /** HTTP health endpoint for the load balancer; 0 = none (the local cluster needs none). */
  healthPort: z.coerce.number().int().min(0).max(65535).default(0),
  rulesHopLimit: positiveInt.default(DEFAULT_RULES_HOP_LIMIT),
  srsSecret: z.string().min(16, 'at least 16 characters').optional(),
  /** The delivery channel's shared secret (LMTP AUTH); generated into the data dir when unset. */
  channelSecret: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * The frontend group this process belongs to (e.g. one per ECS service, since task ids change);
   * the cluster's queue-processing setting may name it. Same syntax as ClusterControl's group names.
   */
  group: z
    .string()
    .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')
    .refine((g) => !['all', 'none', 'default'].includes(g), '"all", "none" and "default" are reserved')
    .default(DEFAULT_FRONTEND_GROUP),
});

export type FrontendConfig = z.output<typeof schema>;

const names = {
  dataDir: ENV.dataDir,
  hostname: ENV.hostname,
  logLevel: ENV.logLevel,
  logBufferBytes: ENV.logBufferBytes,
  listenHost: ENV.listenHost,
  mxPort: ENV.mxPort,
  submissionPort: ENV.submissionPort,
  tlsPort: ENV.tlsPort,
  internalPort: ENV.internalSmtpPort,
  tlsCert: ENV.tlsCert,
  tlsKey: ENV.tlsKey,
  maxMessageSize: ENV.maxMessageSize,
  maxRecipients: ENV.maxRecipients,
  maxHeaderFieldSize: ENV.maxHeaderFieldSize,
  maxHeaderSize: ENV.maxHeaderSize,
  maxHeaderFields: ENV.maxHeaderFields,
  maxQueued: ENV.maxQueued,
  trustedNetworks: ENV.trustedNetworks,
  reverseDns: ENV.reverseDns,
  allowIpLiteralRecipients: ENV.allowIpLiteralRecipients,
  postmaster: ENV.postmaster,
  socketTimeoutMs: ENV.socketTimeoutMs,
  closeTimeoutMs: ENV.closeTimeoutMs,
  healthPort: ENV.healthPort,
  rulesHopLimit: ENV.rulesHopLimit,
  srsSecret: ENV.srsSecret,
  channelSecret: ENV.channelSecret,
  group: ENV.frontendGroup,
} as const;

/** Env var names the frontend reads (the CDK construct must set or knowingly leave each one). */
export const FRONTEND_ENV_NAMES: readonly string[] = Object.values(names);

export function parseFrontendConfig(env: Env): FrontendConfig {
  const config = parseRoleConfig('frontend', schema, names, env);
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('frontend', [`${ENV.tlsCert} and ${ENV.tlsKey} must be set together`]);
  }
  return config;
}
