/**
 * Defaults that more than one place needs: the role config schemas (core/config), the CDK stage
 * config, adapters' and use cases' fallbacks, and CLI help text. Each figure is written here once
 * and imported everywhere else, so a changed default cannot leave a stale copy behind. Plain
 * constants with no imports: any core folder may depend on this module.
 */

/** Embedded storage's data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = './.strato';

/** The name a process greets with and signs DSNs as when none is configured. */
export const DEFAULT_HOSTNAME = 'localhost';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** Frontend ports (above 1024, so no root; a load balancer or NAT maps 25, 587 and 465 to them). */
export const DEFAULT_MX_PORT = 2525;
export const DEFAULT_SUBMISSION_PORT = 2587;
export const DEFAULT_TLS_PORT = 2465;
/** The frontends' internal SMTP port for the backends' generated mail (AWS stages). */
export const DEFAULT_INTERNAL_SMTP_PORT = 2526;
/** A backend's LMTP port (the local cluster counts its backends' ports up from here). */
export const DEFAULT_LMTP_PORT = 2424;

/**
 * Received headers a message may carry before rules stop generating mail for it (a mail loop);
 * STRATO_RULES_HOP_LIMIT, read by frontends (cluster rules) and backends (domain/account rules).
 */
export const DEFAULT_RULES_HOP_LIMIT = 50;

/**
 * Header limits at intake (552 5.3.4 at the end of DATA): one header field with its continuation
 * lines (Postfix's header_size_limit), the whole header section, and the number of fields.
 * STRATO_MAX_HEADER_FIELD_SIZE, STRATO_MAX_HEADER_SIZE, STRATO_MAX_HEADER_FIELDS.
 */
export const DEFAULT_HEADER_LIMITS = {
  maxFieldBytes: 100 * 1024,
  maxSectionBytes: 512 * 1024,
  maxFields: 1000,
} as const;

/**
 * Log lines the frontends and backends hold while stdout is not writable (a log reader that
 * stopped, a full log disk), in bytes; lines beyond are dropped and counted (`log.dropped`)
 * instead of blocking SMTP. STRATO_LOG_BUFFER_BYTES on the frontend.
 */
export const DEFAULT_LOG_BUFFER_BYTES = 1024 * 1024;

/** Days message history (`strato trace`) is kept: DynamoDB TTL, SQLite prune (STRATO_HISTORY_DAYS). */
export const DEFAULT_HISTORY_DAYS = 7;

/** Receives without an ack before a queued job goes dead (SQS maxReceiveCount). */
export const DEFAULT_MAX_RECEIVE_COUNT = 20;
/** Live jobs the queue holds before it refuses enqueues (intake back-pressure); 0 = no limit. */
export const DEFAULT_MAX_QUEUED = 0;
/**
 * Longest a stopping backend waits for its deliveries in flight before it releases its account
 * leases anyway (the lease handoff; a late write is fenced by the epoch). The local cluster's
 * shutdown deadline allows for it.
 */
export const BACKEND_DRAIN_MS = 10_000;

/**
 * The backend Lambda's account lease: taken per invocation and released when it is done, so the
 * TTL only matters when an execution environment dies mid-delivery (the account then waits this
 * long). Longer than a delivery of the largest message takes.
 */
export const LAMBDA_LEASE_TTL_MS = 30_000;

/**
 * Quick retry of an account that is moving between backends (a backend stopping, unreachable,
 * an owner that is not live, no live backend): the next attempt after `delaySeconds` instead of
 * the backoff, for up to `windowSeconds` after the move was first seen; then the normal backoff.
 */
export const DEFAULT_QUICK_RETRY = { delaySeconds: 5, windowSeconds: 120 } as const;

/** How long a queue processor leases a job before another may take it. */
export const DEFAULT_QUEUE_VISIBILITY_SECONDS = 120;
/** The group of a frontend started without STRATO_FRONTEND_GROUP ("default" itself is reserved: it clears a setting). */
export const DEFAULT_FRONTEND_GROUP = 'main';
/** How often a frontend re-reads the cluster's queue-processing settings and heartbeats. */
export const DEFAULT_QUEUE_CONTROL_MS = 2_000;
/** Jobs one queue processor works on at once. */
export const DEFAULT_QUEUE_CONCURRENCY = 16;
/**
 * How long a queue processor trusts the queue hold directives it read: a new hold reaches every
 * processor within this time (a job received meanwhile is delivered as if no hold existed).
 */
export const DEFAULT_QUEUE_HOLDS_CACHE_MS = 5_000;
/** How often a queue processor looks for newly dead-lettered jobs to report (ms). */
export const DEFAULT_DEAD_LETTER_SWEEP_MS = 30_000;

/**
 * The queue's retry schedule, Postfix-like: first retry after 5 minutes, doubling up to 1 hour
 * between attempts, a delayed-delivery warning after 4 hours, bounce after 5 days.
 */
export const DEFAULT_RETRY = {
  firstRetrySeconds: 300,
  maxRetrySeconds: 3600,
  backoffFactor: 2,
  warnAfterSeconds: 4 * 3600,
  lifetimeSeconds: 5 * 24 * 3600,
} as const;
