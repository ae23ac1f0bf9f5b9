/**
 * Frontend role config (SMTP intake): ports, TLS, limits, relay control. Read from the
 * environment once at process start; an invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import {
  AUTH_POLICY_ACTIONS,
  DEFAULT_ABUSE_LIMITS,
  DEFAULT_CONTENT_FILTER,
  DEFAULT_DATA_DIR,
  DEFAULT_DMARC_REJECT,
  DEFAULT_FRONTEND_GROUP,
  DEFAULT_HEADER_LIMITS,
  DEFAULT_HOSTNAME,
  DEFAULT_INBOUND_AUTH,
  DEFAULT_LOG_BUFFER_BYTES,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_CLIENTS,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MX_GREETING_DELAY_MS,
  DEFAULT_MX_PORT,
  DEFAULT_RULES_HOP_LIMIT,
  DEFAULT_SPF_FAIL,
  DEFAULT_SUBMISSION_PORT,
  DEFAULT_TLS_PORT,
  DEFAULT_TLS_RELOAD_SECONDS,
  FILTER_FAILURE_MODES,
  LOG_LEVELS,
} from './defaults.ts';
import { ENV } from './env-names.ts';
import { bool, checkTlsSources, csv, type Env, parseRoleConfig, port, positiveInt } from './parse.ts';

const count = z.coerce.number().int().min(0);
const L = DEFAULT_ABUSE_LIMITS;
/** At most a minute: a longer wait only holds sessions open. */
const greetingDelay = z.coerce.number().int().min(0).max(60_000, 'at most 60000 (ms)');

/** Abuse limits (README "Security"); a count of 0 turns that limit off. */
const limits = {
  authFailuresPerAddress: count.default(L.authFailuresPerAddress),
  authFailuresPerAccount: count.default(L.authFailuresPerAccount),
  authFailureWindowSeconds: positiveInt.default(L.authFailureWindowSeconds),
  sessionsPerAddress: count.default(L.sessionsPerAddress),
  messagesPerAddress: count.default(L.messagesPerAddress),
  recipientsPerAddress: count.default(L.recipientsPerAddress),
  rateWindowSeconds: positiveInt.default(L.rateWindowSeconds),
  invalidRecipientsPerSession: count.default(L.invalidRecipientsPerSession),
  // smtp-server closes a session at its 10th unknown command by itself (with its own text).
  badCommandsPerSession: count.max(9, 'at most 9').default(L.badCommandsPerSession),
  commandsPerSession: count.default(L.commandsPerSession),
  sessionSeconds: count.default(L.sessionSeconds),
  tarpitStepMs: count.default(L.tarpitStepMs),
  tarpitMaxMs: count.default(L.tarpitMaxMs),
};

const schema = z.object({
  ...limits,
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
  /** Secrets Manager secret (name or ARN) holding {"certificate": PEM chain, "privateKey": PEM}. */
  tlsSecret: z.string().min(1).optional(),
  /** How often the certificate (files or secret) is re-read; a changed one serves new sessions. */
  tlsReloadSeconds: positiveInt.default(DEFAULT_TLS_RELOAD_SECONDS),
  /** Without a certificate: generate a self-signed one (true) or refuse to start (false). */
  tlsSelfSignedAllowed: bool.default(true),
  endpointSecretsManager: z.url().optional(),
  maxMessageSize: positiveInt.default(25 * 1024 * 1024),
  maxRecipients: positiveInt.default(1000),
  /** Header limits (552 5.3.4 at the end of DATA): one field, the section, the field count. */
  maxHeaderFieldSize: positiveInt.default(DEFAULT_HEADER_LIMITS.maxFieldBytes),
  maxHeaderSize: positiveInt.default(DEFAULT_HEADER_LIMITS.maxSectionBytes),
  maxHeaderFields: positiveInt.default(DEFAULT_HEADER_LIMITS.maxFields),
  maxQueued: z.coerce.number().int().min(0).default(DEFAULT_MAX_QUEUED),
  /** Sessions per public listener per task (smtp-server maxClients); 0 = no cap. */
  maxClients: z.coerce.number().int().min(0).default(DEFAULT_MAX_CLIENTS),
  /** Wait before the 220 greeting per listener, ms; > 0: a client talking first gets 421. */
  mxGreetingDelayMs: greetingDelay.default(DEFAULT_MX_GREETING_DELAY_MS),
  submissionGreetingDelayMs: greetingDelay.default(0),
  smtpsGreetingDelayMs: greetingDelay.default(0),
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
  /** SPF, DKIM, DMARC and ARC on the MX port (not for AUTH sessions or trusted networks). */
  inboundAuth: bool.default(DEFAULT_INBOUND_AUTH),
  /** The authserv-id of our Authentication-Results header; unset = `hostname`. */
  authservId: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'a host name (letters, digits, dots, hyphens)')
    .optional(),
  /** A DMARC failure under p=reject: refuse it (550 5.7.1) or only mark it. */
  dmarcReject: z.enum(AUTH_POLICY_ACTIONS).default(DEFAULT_DMARC_REJECT),
  /** An SPF `fail`: only mark it (default) or refuse it (550 5.7.1). */
  spfFail: z.enum(AUTH_POLICY_ACTIONS).default(DEFAULT_SPF_FAIL),
  /** DNS blocklist zones asked at connect on the MX port; empty = no DNSBL check. */
  dnsblZones: csv
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'DNS zone names such as zen.spamhaus.org')))
    .default([]),
  /** The content filter, `rspamd:<http url of its normal worker>`; unset = no filter. */
  contentFilter: z
    .string()
    .regex(/^rspamd:https?:\/\/\S+$/, 'rspamd:http://host:port (the only filter so far)')
    .transform((v) => ({ kind: 'rspamd' as const, url: v.slice('rspamd:'.length) }))
    .optional(),
  contentFilterTimeoutMs: positiveInt.default(DEFAULT_CONTENT_FILTER.timeoutMs),
  contentFilterFailure: z.enum(FILTER_FAILURE_MODES).default(DEFAULT_CONTENT_FILTER.failure),
  contentFilterBreakerFailures: count.default(DEFAULT_CONTENT_FILTER.breakerFailures),
  contentFilterBreakerSeconds: positiveInt.default(DEFAULT_CONTENT_FILTER.breakerSeconds),
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

/** The abuse-limit part of the frontend config. */
export type AbuseLimits = Pick<FrontendConfig, keyof typeof limits>;

/** The abuse limits out of a frontend config. */
export function abuseLimits(config: FrontendConfig): AbuseLimits {
  const out: Record<string, number> = {};
  for (const key of Object.keys(limits)) out[key] = config[key as keyof AbuseLimits];
  return out as unknown as AbuseLimits;
}

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
  tlsSecret: ENV.tlsSecret,
  tlsReloadSeconds: ENV.tlsReloadSeconds,
  tlsSelfSignedAllowed: ENV.tlsSelfSignedAllowed,
  endpointSecretsManager: ENV.endpointSecretsManager,
  maxMessageSize: ENV.maxMessageSize,
  maxRecipients: ENV.maxRecipients,
  maxHeaderFieldSize: ENV.maxHeaderFieldSize,
  maxHeaderSize: ENV.maxHeaderSize,
  maxHeaderFields: ENV.maxHeaderFields,
  maxQueued: ENV.maxQueued,
  maxClients: ENV.maxClients,
  mxGreetingDelayMs: ENV.mxGreetingDelayMs,
  submissionGreetingDelayMs: ENV.submissionGreetingDelayMs,
  smtpsGreetingDelayMs: ENV.smtpsGreetingDelayMs,
  trustedNetworks: ENV.trustedNetworks,
  reverseDns: ENV.reverseDns,
  allowIpLiteralRecipients: ENV.allowIpLiteralRecipients,
  postmaster: ENV.postmaster,
  socketTimeoutMs: ENV.socketTimeoutMs,
  closeTimeoutMs: ENV.closeTimeoutMs,
  healthPort: ENV.healthPort,
  authFailuresPerAddress: ENV.authFailuresPerAddress,
  authFailuresPerAccount: ENV.authFailuresPerAccount,
  authFailureWindowSeconds: ENV.authFailureWindowSeconds,
  sessionsPerAddress: ENV.sessionsPerAddress,
  messagesPerAddress: ENV.messagesPerAddress,
  recipientsPerAddress: ENV.recipientsPerAddress,
  rateWindowSeconds: ENV.rateWindowSeconds,
  invalidRecipientsPerSession: ENV.invalidRecipientsPerSession,
  badCommandsPerSession: ENV.badCommandsPerSession,
  commandsPerSession: ENV.commandsPerSession,
  sessionSeconds: ENV.sessionSeconds,
  tarpitStepMs: ENV.tarpitStepMs,
  tarpitMaxMs: ENV.tarpitMaxMs,
  rulesHopLimit: ENV.rulesHopLimit,
  inboundAuth: ENV.inboundAuth,
  authservId: ENV.authservId,
  dmarcReject: ENV.dmarcReject,
  spfFail: ENV.spfFail,
  dnsblZones: ENV.dnsblZones,
  contentFilter: ENV.contentFilter,
  contentFilterTimeoutMs: ENV.contentFilterTimeoutMs,
  contentFilterFailure: ENV.contentFilterFailure,
  contentFilterBreakerFailures: ENV.contentFilterBreakerFailures,
  contentFilterBreakerSeconds: ENV.contentFilterBreakerSeconds,
  srsSecret: ENV.srsSecret,
  channelSecret: ENV.channelSecret,
  group: ENV.frontendGroup,
} as const;

/** Env var names the frontend reads (the CDK construct must set or knowingly leave each one). */
export const FRONTEND_ENV_NAMES: readonly string[] = Object.values(names);

export function parseFrontendConfig(env: Env): FrontendConfig {
  const config = parseRoleConfig('frontend', schema, names, env);
  checkTlsSources('frontend', config, { cert: ENV.tlsCert, key: ENV.tlsKey, secret: ENV.tlsSecret });
  return config;
}
