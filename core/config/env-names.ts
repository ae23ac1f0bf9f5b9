/**
 * Environment variable names every role reads. The CDK constructs import these same constants
 * to set them, so a renamed variable breaks the build instead of a deployment.
 */
export const ENV = {
  dataDir: 'STRATO_DATA_DIR',
  hostname: 'STRATO_HOSTNAME',
  logLevel: 'STRATO_LOG_LEVEL',
  listenHost: 'STRATO_LISTEN_HOST',
  mxPort: 'STRATO_SMTP_PORT',
  submissionPort: 'STRATO_SUBMISSION_PORT',
  tlsPort: 'STRATO_SMTPS_PORT',
  tlsCert: 'STRATO_TLS_CERT',
  tlsKey: 'STRATO_TLS_KEY',
  maxMessageSize: 'STRATO_MAX_MESSAGE_SIZE',
  maxRecipients: 'STRATO_MAX_RECIPIENTS',
  maxQueued: 'STRATO_MAX_QUEUED',
  trustedNetworks: 'STRATO_TRUSTED_NETWORKS',
  reverseDns: 'STRATO_REVERSE_DNS',
  socketTimeoutMs: 'STRATO_SOCKET_TIMEOUT_MS',
  closeTimeoutMs: 'STRATO_CLOSE_TIMEOUT_MS',
  frontendWorkers: 'STRATO_FRONTEND_WORKERS',
  seedDemo: 'STRATO_SEED_DEMO',
  // Backends (LMTP delivery endpoints).
  backendId: 'STRATO_BACKEND_ID',
  lmtpHost: 'STRATO_LMTP_HOST',
  lmtpPort: 'STRATO_LMTP_PORT',
  backendAdvertise: 'STRATO_BACKEND_ADDRESS',
  leaseTtlMs: 'STRATO_LEASE_TTL_MS',
  heartbeatMs: 'STRATO_HEARTBEAT_MS',
  backends: 'STRATO_BACKENDS',
  lmtpBasePort: 'STRATO_LMTP_BASE_PORT',
  // Queue processing.
  queueProcessing: 'STRATO_QUEUE_PROCESSING',
  queueConcurrency: 'STRATO_QUEUE_CONCURRENCY',
  queueVisibilitySeconds: 'STRATO_QUEUE_VISIBILITY_SECONDS',
  queuePollWaitMs: 'STRATO_QUEUE_POLL_WAIT_MS',
  backendMode: 'STRATO_BACKEND_MODE',
  retryFirstSeconds: 'STRATO_RETRY_FIRST_SECONDS',
  retryMaxSeconds: 'STRATO_RETRY_MAX_SECONDS',
  delayWarningSeconds: 'STRATO_DELAY_WARNING_SECONDS',
  queueLifetimeSeconds: 'STRATO_QUEUE_LIFETIME_SECONDS',
  maxReceiveCount: 'STRATO_MAX_RECEIVE_COUNT',
  relay: 'STRATO_RELAY',
  captureDir: 'STRATO_CAPTURE_DIR',
  smarthostHost: 'STRATO_SMARTHOST_HOST',
  smarthostPort: 'STRATO_SMARTHOST_PORT',
  smarthostSecure: 'STRATO_SMARTHOST_SECURE',
  smarthostUser: 'STRATO_SMARTHOST_USER',
  smarthostPassword: 'STRATO_SMARTHOST_PASSWORD',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
