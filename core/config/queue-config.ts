/**
 * Queue-processing config (runs inside frontends unless turned off, or as the queue Lambda):
 * the defaults for processing on/off and concurrency (the cluster's queue-processing settings
 * override them at runtime), leases, the retry schedule, where external mail goes (capture dir, smarthost,
 * SES or direct MX delivery with its settings) and whether backends are processes (LMTP, found in the registry) or a Lambda function. Read once at start;
 * every problem is listed at once.
 */
import { z } from 'zod';
import {
  DEFAULT_DEAD_LETTER_SWEEP_MS,
  DEFAULT_MAX_RECEIVE_COUNT,
  DEFAULT_MX_RELAY,
  DEFAULT_QUEUE_CONCURRENCY,
  DEFAULT_QUEUE_CONTROL_MS,
  DEFAULT_QUEUE_HOLDS_CACHE_MS,
  DEFAULT_QUEUE_VISIBILITY_SECONDS,
  DEFAULT_QUICK_RETRY,
  DEFAULT_RETRY,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { ConfigError } from './errors.ts';
import { bool, type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const schema = z.object({
  enabled: bool.default(true),
  /**
   * false where this process must never process the queue whatever the cluster setting says (a
   * deployment whose queue Lambda processes it: its frontends have no relay or backend access).
   */
  allowed: bool.default(true),
  concurrency: positiveInt.default(DEFAULT_QUEUE_CONCURRENCY),
  visibilitySeconds: positiveInt.default(DEFAULT_QUEUE_VISIBILITY_SECONDS),
  pollWaitMs: z.coerce.number().int().min(0).default(1000),
  deadLetterSweepMs: positiveInt.default(DEFAULT_DEAD_LETTER_SWEEP_MS),
  holdsCacheMs: z.coerce.number().int().min(0).default(DEFAULT_QUEUE_HOLDS_CACHE_MS),
  /** How often a frontend re-reads the cluster's queue-processing settings (and heartbeats). */
  controlIntervalMs: positiveInt.default(DEFAULT_QUEUE_CONTROL_MS),
  backendMode: z.enum(['dynamic', 'static']).default('dynamic'),
  firstRetrySeconds: positiveInt.default(DEFAULT_RETRY.firstRetrySeconds),
  maxRetrySeconds: positiveInt.default(DEFAULT_RETRY.maxRetrySeconds),
  warnAfterSeconds: positiveInt.default(DEFAULT_RETRY.warnAfterSeconds),
  lifetimeSeconds: positiveInt.default(DEFAULT_RETRY.lifetimeSeconds),
  quickRetrySeconds: positiveInt.default(DEFAULT_QUICK_RETRY.delaySeconds),
  quickRetryWindowSeconds: z.coerce.number().int().min(0).default(DEFAULT_QUICK_RETRY.windowSeconds),
  relay: z.enum(['capture', 'smarthost', 'ses', 'mx']).default('capture'),
  sesConfigurationSet: z.string().optional(),
  bounceAddress: z.string().optional(),
  backendFunction: z.string().optional(),
  captureDir: z.string().optional(),
  smarthostHost: z.string().optional(),
  smarthostPort: port.default(25),
  smarthostSecure: bool.default(false),
  smarthostUser: z.string().optional(),
  smarthostPassword: z.string().optional(),
  maxReceiveCount: positiveInt.default(DEFAULT_MAX_RECEIVE_COUNT),
  mxRelayPort: port.default(DEFAULT_MX_RELAY.port),
  mxRelayConcurrency: positiveInt.default(DEFAULT_MX_RELAY.concurrency),
  mxRelayBackoffSeconds: z.coerce.number().int().min(0).default(DEFAULT_MX_RELAY.backoffSeconds),
  mxRelayMaxBackoffSeconds: z.coerce.number().int().min(0).default(DEFAULT_MX_RELAY.maxBackoffSeconds),
  mxRelayConnectTimeoutMs: positiveInt.default(DEFAULT_MX_RELAY.connectTimeoutMs),
  mxRelayGreetingTimeoutMs: positiveInt.default(DEFAULT_MX_RELAY.greetingTimeoutMs),
  mxRelayCommandTimeoutMs: positiveInt.default(DEFAULT_MX_RELAY.commandTimeoutMs),
  mxRelayDataTimeoutMs: positiveInt.default(DEFAULT_MX_RELAY.dataTimeoutMs),
  mxRelaySessionMessages: positiveInt.default(DEFAULT_MX_RELAY.sessionMessages),
  mxRelayIdleMs: z.coerce.number().int().min(0).default(DEFAULT_MX_RELAY.idleMs),
  mxRelayMtaSts: bool.default(DEFAULT_MX_RELAY.mtaSts),
});

export type QueueConfig = z.output<typeof schema>;

const names = {
  enabled: ENV.queueProcessing,
  allowed: ENV.queueProcessingAllowed,
  concurrency: ENV.queueConcurrency,
  visibilitySeconds: ENV.queueVisibilitySeconds,
  pollWaitMs: ENV.queuePollWaitMs,
  deadLetterSweepMs: ENV.queueDeadLetterSweepMs,
  holdsCacheMs: ENV.queueHoldsCacheMs,
  controlIntervalMs: ENV.queueControlMs,
  backendMode: ENV.backendMode,
  firstRetrySeconds: ENV.retryFirstSeconds,
  maxRetrySeconds: ENV.retryMaxSeconds,
  warnAfterSeconds: ENV.delayWarningSeconds,
  lifetimeSeconds: ENV.queueLifetimeSeconds,
  quickRetrySeconds: ENV.quickRetrySeconds,
  quickRetryWindowSeconds: ENV.quickRetryWindowSeconds,
  relay: ENV.relay,
  sesConfigurationSet: ENV.sesConfigurationSet,
  bounceAddress: ENV.bounceAddress,
  backendFunction: ENV.backendFunction,
  captureDir: ENV.captureDir,
  smarthostHost: ENV.smarthostHost,
  smarthostPort: ENV.smarthostPort,
  smarthostSecure: ENV.smarthostSecure,
  smarthostUser: ENV.smarthostUser,
  smarthostPassword: ENV.smarthostPassword,
  maxReceiveCount: ENV.maxReceiveCount,
  mxRelayPort: ENV.mxRelayPort,
  mxRelayConcurrency: ENV.mxRelayConcurrency,
  mxRelayBackoffSeconds: ENV.mxRelayBackoffSeconds,
  mxRelayMaxBackoffSeconds: ENV.mxRelayMaxBackoffSeconds,
  mxRelayConnectTimeoutMs: ENV.mxRelayConnectTimeoutMs,
  mxRelayGreetingTimeoutMs: ENV.mxRelayGreetingTimeoutMs,
  mxRelayCommandTimeoutMs: ENV.mxRelayCommandTimeoutMs,
  mxRelayDataTimeoutMs: ENV.mxRelayDataTimeoutMs,
  mxRelaySessionMessages: ENV.mxRelaySessionMessages,
  mxRelayIdleMs: ENV.mxRelayIdleMs,
  mxRelayMtaSts: ENV.mxRelayMtaSts,
} as const;

export const QUEUE_ENV_NAMES: readonly string[] = Object.values(names);

export function parseQueueConfig(env: Env): QueueConfig {
  const c = parseRoleConfig('queue processing', schema, names, env);
  if (c.relay === 'smarthost' && !c.smarthostHost) {
    throw new ConfigError('queue processing', [`${ENV.smarthostHost}: required when ${ENV.relay}=smarthost`]);
  }
  return c;
}
