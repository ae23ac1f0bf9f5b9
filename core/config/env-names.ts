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
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];
