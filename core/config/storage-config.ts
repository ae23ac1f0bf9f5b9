/**
 * Storage config shared by every role: embedded (a data dir on one machine) or AWS (queue URLs,
 * bucket and table names the CDK stack sets, optional emulator endpoints for local runs).
 * Read once at start; with STRATO_STORAGE=aws every required name must be set, and all missing
 * ones are listed at once.
 */
import { z } from 'zod';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HISTORY_DAYS,
  DEFAULT_MAILBOX_USAGE_CACHE_MS,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RECEIVE_COUNT,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { ConfigError } from './errors.ts';
import { type Env, parseRoleConfig, positiveInt } from './parse.ts';

const url = z.string().url();

const schema = z.object({
  kind: z.enum(['embedded', 'aws']).default('embedded'),
  dataDir: z.string().default(DEFAULT_DATA_DIR),
  region: z.string().default('us-east-1'),
  queueUrl: url.optional(),
  deadLetterQueueUrl: url.optional(),
  queueIndexTable: z.string().optional(),
  spoolBucket: z.string().optional(),
  mailboxBucket: z.string().optional(),
  directoryTable: z.string().optional(),
  mailboxTable: z.string().optional(),
  coordinationTable: z.string().optional(),
  historyTable: z.string().optional(),
  historyDays: z.coerce.number().positive().max(3650).default(DEFAULT_HISTORY_DAYS),
  maxReceiveCount: positiveInt.default(DEFAULT_MAX_RECEIVE_COUNT),
  maxQueued: z.coerce.number().int().min(0).default(DEFAULT_MAX_QUEUED),
  mailboxUsageCacheMs: z.coerce.number().int().min(0).max(3_600_000).default(DEFAULT_MAILBOX_USAGE_CACHE_MS),
  requestLog: z.string().optional(),
  endpointSqs: url.optional(),
  endpointS3: url.optional(),
  endpointDynamodb: url.optional(),
  endpointSes: url.optional(),
  endpointLambda: url.optional(),
});

export type StorageConfig = z.output<typeof schema>;

const names = {
  kind: ENV.storage,
  dataDir: ENV.dataDir,
  region: ENV.awsRegion,
  queueUrl: ENV.queueUrl,
  deadLetterQueueUrl: ENV.deadLetterQueueUrl,
  queueIndexTable: ENV.queueIndexTable,
  spoolBucket: ENV.spoolBucket,
  mailboxBucket: ENV.mailboxBucket,
  directoryTable: ENV.directoryTable,
  mailboxTable: ENV.mailboxTable,
  coordinationTable: ENV.coordinationTable,
  historyTable: ENV.historyTable,
  historyDays: ENV.historyDays,
  maxReceiveCount: ENV.maxReceiveCount,
  maxQueued: ENV.maxQueued,
  mailboxUsageCacheMs: ENV.mailboxUsageCacheMs,
  requestLog: ENV.awsRequestLog,
  endpointSqs: ENV.endpointSqs,
  endpointS3: ENV.endpointS3,
  endpointDynamodb: ENV.endpointDynamodb,
  endpointSes: ENV.endpointSes,
  endpointLambda: ENV.endpointLambda,
} as const;

/** The variables the AWS deployment must set (the CDK constructs set exactly these). */
export const AWS_STORAGE_REQUIRED = [
  'queueUrl',
  'deadLetterQueueUrl',
  'queueIndexTable',
  'spoolBucket',
  'mailboxBucket',
  'directoryTable',
  'mailboxTable',
  'coordinationTable',
  'historyTable',
] as const satisfies readonly (keyof typeof names)[];

export const STORAGE_ENV_NAMES: readonly string[] = Object.values(names);

export function parseStorageConfig(env: Env): StorageConfig {
  const config = parseRoleConfig('storage', schema, names, env);
  if (config.kind === 'aws') {
    const missing = AWS_STORAGE_REQUIRED.filter((k) => config[k] === undefined);
    if (missing.length > 0) {
      throw new ConfigError(
        'storage',
        missing.map((k) => `${names[k]}: required when ${ENV.storage}=aws`),
      );
    }
  }
  return config;
}
