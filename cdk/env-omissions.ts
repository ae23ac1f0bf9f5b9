/**
 * Variables a runtime reads that a role's template deliberately does not set, with the reason.
 * The env-coverage tests fail on any other variable a role reads but the template leaves unset.
 */
import { ENV } from '../core/config/env-names.ts';

const defaults = 'the runtime default is the intended production value';

/** Storage variables no AWS role sets. */
export const STORAGE_OMITTED: Record<string, string> = {
  [ENV.endpointSqs]: 'emulator endpoints are for local runs only',
  [ENV.endpointS3]: 'emulator endpoints are for local runs only',
  [ENV.endpointDynamodb]: 'emulator endpoints are for local runs only',
  [ENV.endpointSes]: 'emulator endpoints are for local runs only',
  [ENV.endpointLambda]: 'emulator endpoints are for local runs only',
  [ENV.awsRequestLog]: 'request logging is a benchmark tool (npm run bench:aws)',
  [ENV.mailboxUsageCacheMs]: `${defaults} (30 s: the quota read once per period per process)`,
  [ENV.maxQueued]: `${defaults} (0 = no intake back-pressure limit)`,
  [ENV.historyDays]: `${defaults} (7 days of message history)`,
};

/** Metrics variables every role reads; the CDK sets mode, stage and service (roles-env.ts). */
export const METRICS_OMITTED: Record<string, string> = {
  [ENV.metricsIntervalSeconds]: `${defaults} (60 s: CloudWatch's standard resolution)`,
};

/** Lambda sets AWS_REGION itself and refuses it as a function variable. */
export const LAMBDA_OMITTED: Record<string, string> = {
  [ENV.awsRegion]: 'reserved: the Lambda runtime sets it',
};

export const FRONTEND_OMITTED: Record<string, string> = {
  [ENV.tlsCert]: 'certificate files are for single machines: on AWS it comes from STRATO_TLS_SECRET',
  [ENV.tlsKey]: 'certificate files are for single machines: on AWS it comes from STRATO_TLS_SECRET',
  [ENV.tlsSecret]: 'set only when frontend.tls.secretName names a secret (the dev stage runs self-signed)',
  [ENV.endpointSecretsManager]: 'emulator endpoints are for local runs only',
  [ENV.maxRecipients]: defaults,
  [ENV.logBufferBytes]: `${defaults} (1 MiB of log lines held while stdout is blocked)`,
  [ENV.maxHeaderFieldSize]: `${defaults} (100 KiB per header field)`,
  [ENV.maxHeaderSize]: `${defaults} (512 KiB header section)`,
  [ENV.maxHeaderFields]: `${defaults} (1000 header fields)`,
  [ENV.reverseDns]: `${defaults} (off: one DNS lookup per connection saved)`,
  [ENV.socketTimeoutMs]: defaults,
  [ENV.mxGreetingDelayMs]: `${defaults} (20 ms wait before the MX greeting, early talkers refused)`,
  [ENV.submissionGreetingDelayMs]: `${defaults} (0: greet at once)`,
  [ENV.smtpsGreetingDelayMs]: `${defaults} (0: greet at once)`,
  [ENV.rulesHopLimit]: defaults,
  [ENV.allowIpLiteralRecipients]: `${defaults} (off: IP-literal recipients are refused)`,
  // Content filter (README "Content filtering"): set only with the rspamd sidecar (frontend.contentFilter).
  [ENV.contentFilter]: 'set only when frontend.contentFilter adds the rspamd sidecar (off by default)',
  [ENV.contentFilterTimeoutMs]: 'set only with frontend.contentFilter (frontend.contentFilter.timeoutMs)',
  [ENV.contentFilterFailure]: 'set only with frontend.contentFilter (frontend.contentFilter.failure)',
  [ENV.contentFilterBreakerFailures]: defaults,
  [ENV.contentFilterBreakerSeconds]: defaults,
  [ENV.postmaster]:
    'set per deployment by the operator (postmaster@<hosted domain> accounts work without it)',
  // Abuse limits (README "Security"): the NLB preserves client addresses, so the defaults apply as on one machine.
  [ENV.authFailuresPerAddress]: defaults,
  [ENV.authFailuresPerAccount]: defaults,
  [ENV.authFailureWindowSeconds]: defaults,
  [ENV.sessionsPerAddress]: defaults,
  [ENV.messagesPerAddress]: defaults,
  [ENV.recipientsPerAddress]: defaults,
  [ENV.rateWindowSeconds]: defaults,
  [ENV.invalidRecipientsPerSession]: defaults,
  [ENV.badCommandsPerSession]: defaults,
  [ENV.commandsPerSession]: defaults,
  [ENV.sessionSeconds]: defaults,
  [ENV.tarpitStepMs]: defaults,
  [ENV.tarpitMaxMs]: defaults,
  [ENV.inboundAuth]: `${defaults} (on: SPF, DKIM, DMARC and ARC verified on the MX port)`,
  [ENV.authservId]: `${defaults} (the frontend's STRATO_HOSTNAME)`,
  [ENV.dmarcReject]: `${defaults} (reject: p=reject failures get 550 5.7.1)`,
  [ENV.spfFail]: `${defaults} (mark)`,
  [ENV.dnsblZones]: 'set per deployment by the operator (no DNSBL zones by default)',
};

export const QUEUE_OMITTED: Record<string, string> = {
  [ENV.queueHoldsCacheMs]: defaults,
  [ENV.queueDeadLetterSweepMs]: `${defaults} (Fargate processors sweep dead jobs every 30 s; the queue Lambda sweeps on its EventBridge schedule)`,
  [ENV.queueControlMs]: `${defaults} (settings re-read and heartbeat every 2 s)`,
  [ENV.retryFirstSeconds]: defaults,
  [ENV.retryMaxSeconds]: defaults,
  [ENV.delayWarningSeconds]: defaults,
  [ENV.queueLifetimeSeconds]: `${defaults} (5 days, within the queue's 14-day retention)`,
  [ENV.quickRetrySeconds]: defaults,
  [ENV.quickRetryWindowSeconds]: defaults,
  [ENV.captureDir]: 'relay is SES on AWS',
  [ENV.smarthostHost]: 'relay is SES on AWS',
  [ENV.smarthostPort]: 'relay is SES on AWS',
  [ENV.smarthostSecure]: 'relay is SES on AWS',
  [ENV.smarthostUser]: 'relay is SES on AWS',
  [ENV.smarthostPassword]: 'relay is SES on AWS',
  [ENV.mxRelayPort]: 'relay is SES on AWS',
  [ENV.mxRelayConcurrency]: 'relay is SES on AWS',
  [ENV.mxRelayBackoffSeconds]: 'relay is SES on AWS',
  [ENV.mxRelayMaxBackoffSeconds]: 'relay is SES on AWS',
  [ENV.mxRelayConnectTimeoutMs]: 'relay is SES on AWS',
  [ENV.mxRelayGreetingTimeoutMs]: 'relay is SES on AWS',
  [ENV.mxRelayCommandTimeoutMs]: 'relay is SES on AWS',
  [ENV.mxRelayDataTimeoutMs]: 'relay is SES on AWS',
  [ENV.mxRelaySessionMessages]: 'relay is SES on AWS',
  [ENV.mxRelayIdleMs]: 'relay is SES on AWS',
  [ENV.mxRelayMtaSts]: 'relay is SES on AWS',
};

export const BACKEND_OMITTED: Record<string, string> = {
  [ENV.backendId]:
    'each task claims a slot id (STRATO_BACKEND_SLOTS); each Lambda execution environment makes its own (lambda:<random>)',
  [ENV.backendSlotPrefix]: `${defaults} ("backend-": ids backend-1..N)`,
  [ENV.backendAdvertise]: 'per task: fargate/docker/entrypoint.mjs derives it from the ECS task metadata',
  [ENV.leaseTtlMs]: defaults,
  [ENV.heartbeatMs]: defaults,
  [ENV.rulesGeneratedPerHour]: defaults,
  [ENV.rulesHopLimit]: defaults,
  [ENV.mxPort]: 'read only as the default of STRATO_GENERATED_SMTP_PORT',
  [ENV.srsSecretId]: 'ECS injects STRATO_SRS_SECRET from Secrets Manager',
  [ENV.endpointSecretsManager]: 'emulator endpoints are for local runs only',
};

// The Lambda sets STRATO_SRS_SECRET_ID (the Fargate backend's omission) and omits STRATO_SRS_SECRET.
const { [ENV.srsSecretId]: _setByLambda, ...backendOmittedByLambda } = BACKEND_OMITTED;

export const BACKEND_LAMBDA_OMITTED: Record<string, string> = {
  ...backendOmittedByLambda,
  [ENV.backendSlots]: 'no slots: every backend Lambda instance is one backend',
  [ENV.backendSlotWaitMs]: 'no slots: every backend Lambda instance is one backend',
  [ENV.lmtpHost]: 'no LMTP listener: the Lambda is invoked directly',
  [ENV.lmtpPort]: 'no LMTP listener: the Lambda is invoked directly',
  [ENV.channelSecret]: 'no LMTP listener: the Lambda is invoked directly (IAM guards the invoke)',
  [ENV.srsSecret]:
    'read at cold start from Secrets Manager (STRATO_SRS_SECRET_ID): no secret in the function configuration',
  [ENV.generatedSmtpHost]:
    "outside the VPC the Lambda cannot reach the frontends' internal port: generated mail goes to the queue",
  [ENV.generatedSmtpPort]: 'generated mail goes to the queue (see STRATO_GENERATED_SMTP_HOST)',
};
