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

/**
 * SMTP sessions one public listener of one frontend task takes at once (smtp-server's maxClients,
 * STRATO_MAX_CLIENTS); one more is answered 421 4.3.2 and closed, so a task under a flood sheds
 * load instead of running out of memory (the autoscaler adds tasks on open sessions). 0 = no cap.
 */
export const DEFAULT_MAX_CLIENTS = 500;

/**
 * How long the MX listener waits before its 220 greeting (STRATO_MX_GREETING_DELAY_MS); a client
 * that talks first is answered 421 and closed (smtp-server's early-talker check). Bots that write
 * without waiting send at connect time, so their command arrives with or just after the TCP
 * handshake: a short wait catches them while costing a real MTA 20 ms once per connection
 * (smtp-server's fixed 100 ms capped a connection-per-message sender near 10 messages/s).
 * Submission and implicit TLS default to 0: greet at once, no check (their clients authenticate).
 */
export const DEFAULT_MX_GREETING_DELAY_MS = 20;

/** Frontend ports (above 1024, so no root; a load balancer or NAT maps 25, 587 and 465 to them). */
export const DEFAULT_MX_PORT = 2525;
export const DEFAULT_SUBMISSION_PORT = 2587;
export const DEFAULT_TLS_PORT = 2465;
/** The admin API and WebAdmin (HTTPS; STRATO_ADMIN_PORT). */
export const DEFAULT_ADMIN_PORT = 8443;
/** Largest admin API request body (JSON or form), bytes (STRATO_ADMIN_MAX_BODY_BYTES). */
export const DEFAULT_ADMIN_MAX_BODY_BYTES = 1024 * 1024;
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

/**
 * How long an account's mailbox usage (the quota check at RCPT and at delivery) read from DynamoDB
 * is reused by one process on AWS storage (STRATO_MAILBOX_USAGE_CACHE_MS; 0 reads every time).
 */
export const DEFAULT_MAILBOX_USAGE_CACHE_MS = 30_000;

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

/**
 * Direct MX delivery (STRATO_RELAY=mx): the port exchangers listen on, sessions per destination
 * domain (per queue-processing process), the backoff after a destination failed as a whole
 * (doubling up to the maximum), RFC 5321 §4.5.3.2 timeouts (connect: 30 s; greeting and each
 * command: 5 min; the reply to the final "." 10 min), messages per reused session and how long an
 * idle session is kept, and whether MTA-STS policies are honoured.
 */
export const DEFAULT_MX_RELAY = {
  port: 25,
  concurrency: 5,
  backoffSeconds: 60,
  maxBackoffSeconds: 900,
  connectTimeoutMs: 30_000,
  greetingTimeoutMs: 300_000,
  commandTimeoutMs: 300_000,
  dataTimeoutMs: 600_000,
  sessionMessages: 100,
  idleMs: 5_000,
  mtaSts: true,
} as const;

/** DNS: how long one query may take (per try; two tries) and how long answers are remembered. */
export const DEFAULT_DNS_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_CACHE_SECONDS = 60;

/** How often a frontend re-reads its TLS certificate (file or Secrets Manager) to pick up a rotation. */
export const DEFAULT_TLS_RELOAD_SECONDS = 300;

/**
 * Abuse limits of the public SMTP listeners (README "Security"); trusted networks and the internal
 * listener are exempt. Counted cluster-wide where the attack is (AUTH failures, sessions and the
 * MX rates per client address), per session otherwise. A count of 0 turns that limit off.
 */
export const DEFAULT_ABUSE_LIMITS = {
  /** Failed AUTH attempts per client address, then 454 4.7.0 until the window ends. */
  authFailuresPerAddress: 20,
  /** Failed AUTH attempts per user name (existing or not), then 454 4.7.0 until the window ends. */
  authFailuresPerAccount: 10,
  authFailureWindowSeconds: 900,
  /** Concurrent SMTP sessions per client address on all frontends together, then 421 4.7.0 at connect. */
  sessionsPerAddress: 20,
  /** Unauthenticated MX transactions (MAIL FROM) and recipients per client address per window. */
  messagesPerAddress: 1000,
  recipientsPerAddress: 5000,
  rateWindowSeconds: 3600,
  /** Per session: invalid recipients (unknown user, relay denied), then 421 4.7.0 and close. */
  invalidRecipientsPerSession: 20,
  /** Per session: unknown or bad commands (500, 501, 503, 504), then 421 4.7.0 (smtp-server closes at its 10th unknown one by itself). */
  badCommandsPerSession: 8,
  /** Per session: commands in all, and its length; then 421 4.7.0 and close. */
  commandsPerSession: 2000,
  sessionSeconds: 1800,
  /** Tarpit: the n-th error reply of a session waits (n-1) × step ms, at most max ms. */
  tarpitStepMs: 1000,
  tarpitMaxMs: 5000,
} as const;

/**
 * A frontend's entry in ClientSessions lives this long unless refreshed (it refreshes its open
 * sessions every third of it), so the sessions of a killed frontend stop counting within a minute.
 */
export const CLIENT_SESSION_TTL_MS = 60_000;
/**
 * Inbound authentication on the MX port (STRATO_INBOUND_AUTH, STRATO_DMARC_REJECT, STRATO_SPF_FAIL):
 * verified by default; a DMARC p=reject failure is refused (550 5.7.1), an SPF fail only marked.
 */
export const DEFAULT_INBOUND_AUTH = true;
export const AUTH_POLICY_ACTIONS = ['reject', 'mark'] as const;
export type AuthPolicyAction = (typeof AUTH_POLICY_ACTIONS)[number];
export const DEFAULT_DMARC_REJECT: AuthPolicyAction = 'reject';
export const DEFAULT_SPF_FAIL: AuthPolicyAction = 'mark';

/**
 * Application metrics (README "Metrics and alarms"): "log" writes a `metrics` line per interval
 * (local runs), "emf" CloudWatch embedded metric format (the CDK sets it on AWS), "off" nothing.
 * The interval is CloudWatch's standard resolution; the stage dimension of a local run.
 */
export const METRICS_MODES = ['emf', 'log', 'off'] as const;
export type MetricsMode = (typeof METRICS_MODES)[number];
export const DEFAULT_METRICS = { mode: 'log' as MetricsMode, intervalSeconds: 60, stage: 'local' } as const;

/**
 * Content filter (README "Content filtering"): STRATO_CONTENT_FILTER=rspamd:<url> turns it on (off
 * when unset). A scan waits at most the timeout (STRATO_CONTENT_FILTER_TIMEOUT_MS); a filter that
 * does not answer means accept and mark `X-Spam-Status: unchecked` ("accept") or 451 4.7.1
 * ("tempfail"; STRATO_CONTENT_FILTER_FAILURE). After `breakerFailures` consecutive failures the
 * filter is skipped for `breakerSeconds` (STRATO_CONTENT_FILTER_BREAKER_FAILURES, 0 = never;
 * STRATO_CONTENT_FILTER_BREAKER_SECONDS).
 */
export const FILTER_FAILURE_MODES = ['accept', 'tempfail'] as const;
export type FilterFailureMode = (typeof FILTER_FAILURE_MODES)[number];
export const DEFAULT_CONTENT_FILTER = {
  timeoutMs: 10_000,
  failure: 'accept' as FilterFailureMode,
  breakerFailures: 5,
  breakerSeconds: 60,
} as const;

/**
 * Access to the admin API and WebAdmin (core/admin-access): a session ends after `sessionIdleSeconds`
 * without a request and `sessionMaxSeconds` after login whatever happens; failed logins are counted
 * cluster-wide per client address and per name (existing or not) in a fixed window, then every
 * login from there or for that name is refused until the window ends (0 turns a limit off). The
 * first administrator, made on first start when none exists, is a cluster administrator named
 * `firstAdminName` with a random password printed once.
 */
export const DEFAULT_ADMIN_ACCESS = {
  sessionIdleSeconds: 30 * 60,
  sessionMaxSeconds: 12 * 3600,
  loginFailuresPerAddress: 20,
  loginFailuresPerName: 5,
  loginFailureWindowSeconds: 900,
  firstAdminName: 'admin',
} as const;
