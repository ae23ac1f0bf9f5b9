/**
 * Backend role config (LMTP delivery endpoint that owns accounts). Read from the environment
 * once at start; an invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HOSTNAME,
  DEFAULT_LMTP_PORT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MX_PORT,
  DEFAULT_RULES_HOP_LIMIT,
  LOG_LEVELS,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

/** What a backend id may contain; channels check owner ids they carry against it too. */
export const BACKEND_ID_PATTERN = /^[A-Za-z0-9._:-]+$/;

const schema = z.object({
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  hostname: z.string().min(1).default(DEFAULT_HOSTNAME),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  backendId: z.string().regex(BACKEND_ID_PATTERN, 'letters, digits and . _ : - only').optional(),
  backendSlots: positiveInt.max(1000).optional(),
  backendSlotPrefix: z
    .string()
    .regex(BACKEND_ID_PATTERN, 'letters, digits and . _ : - only')
    .default('backend-'),
  backendSlotWaitMs: positiveInt.default(60_000),
  lmtpHost: z.string().default('127.0.0.1'),
  lmtpPort: port.default(DEFAULT_LMTP_PORT),
  advertiseAddress: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'host:port')
    .optional(),
  leaseTtlMs: positiveInt.default(60_000),
  heartbeatMs: positiveInt.default(5_000),
  maxMessageSize: positiveInt.default(50 * 1024 * 1024),
  /** queue: generated mail goes to the shared queue; smtp: to the frontends over SMTP ("forward to frontends"). */
  generatedMail: z.enum(['queue', 'smtp']).default('queue'),
  generatedSmtpHost: z.string().min(1).default('127.0.0.1'),
  generatedSmtpPort: port.optional(),
  mxPort: port.default(DEFAULT_MX_PORT),
  rulesGeneratedPerHour: positiveInt.default(100),
  rulesHopLimit: positiveInt.default(DEFAULT_RULES_HOP_LIMIT),
  srsSecret: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * A Secrets Manager secret (name or ARN) holding the SRS secret, read once at start: where the
   * secret must not sit in the process environment (the backend Lambda's configuration).
   */
  srsSecretId: z.string().min(1).optional(),
  endpointSecretsManager: z.url().optional(),
  /** The delivery channel's shared secret (LMTP AUTH); generated into the data dir when unset. */
  channelSecret: z.string().min(16, 'at least 16 characters').optional(),
});

/** Where a backend's id comes from when it claims a numbered slot (see core/delivery/backend-slot.ts). */
export interface BackendSlots {
  /** Slots 1..max are tried in order; the first free one is taken. */
  readonly max: number;
  /** The id is `<prefix><n>`. */
  readonly prefix: string;
  /** How long to keep trying while every slot is taken before giving up. */
  readonly waitMs: number;
}

export type BackendConfig = Omit<
  z.output<typeof schema>,
  'generatedSmtpPort' | 'mxPort' | 'backendSlots' | 'backendSlotPrefix' | 'backendSlotWaitMs'
> & {
  /** The configured id, or one derived from the advertise address; a claimed slot replaces it. */
  backendId: string;
  /** Set when STRATO_BACKEND_SLOTS is and STRATO_BACKEND_ID is not: the id comes from a slot. */
  slots?: BackendSlots;
  advertiseAddress: string;
  /** The frontends' port generated mail is submitted to in smtp mode (default: their MX port). */
  generatedSmtpPort: number;
};

const names = {
  dataDir: ENV.dataDir,
  hostname: ENV.hostname,
  logLevel: ENV.logLevel,
  backendId: ENV.backendId,
  backendSlots: ENV.backendSlots,
  backendSlotPrefix: ENV.backendSlotPrefix,
  backendSlotWaitMs: ENV.backendSlotWaitMs,
  lmtpHost: ENV.lmtpHost,
  lmtpPort: ENV.lmtpPort,
  advertiseAddress: ENV.backendAdvertise,
  leaseTtlMs: ENV.leaseTtlMs,
  heartbeatMs: ENV.heartbeatMs,
  maxMessageSize: ENV.maxMessageSize,
  generatedMail: ENV.generatedMail,
  generatedSmtpHost: ENV.generatedSmtpHost,
  generatedSmtpPort: ENV.generatedSmtpPort,
  mxPort: ENV.mxPort,
  rulesGeneratedPerHour: ENV.rulesGeneratedPerHour,
  rulesHopLimit: ENV.rulesHopLimit,
  srsSecret: ENV.srsSecret,
  srsSecretId: ENV.srsSecretId,
  endpointSecretsManager: ENV.endpointSecretsManager,
  channelSecret: ENV.channelSecret,
} as const;

export const BACKEND_ENV_NAMES: readonly string[] = Object.values(names);

export function parseBackendConfig(env: Env): BackendConfig {
  const { mxPort, generatedSmtpPort, backendSlots, backendSlotPrefix, backendSlotWaitMs, ...c } =
    parseRoleConfig('backend', schema, names, env);
  // A configured id wins (the local cluster keeps its ids); else slots, else derived from the address.
  const slots =
    backendSlots !== undefined && c.backendId === undefined
      ? { max: backendSlots, prefix: backendSlotPrefix, waitMs: backendSlotWaitMs }
      : undefined;
  const advertiseAddress =
    c.advertiseAddress ?? `${c.lmtpHost === '0.0.0.0' ? '127.0.0.1' : c.lmtpHost}:${c.lmtpPort}`;
  return {
    ...c,
    generatedSmtpPort: generatedSmtpPort ?? mxPort,
    backendId: c.backendId ?? `backend-${advertiseAddress.replace(/[^A-Za-z0-9._-]/g, '-')}`,
    advertiseAddress,
    ...(slots ? { slots } : {}),
  };
}
