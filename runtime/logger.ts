/**
 * Process logging: a pino JSON logger per process that satisfies core/ports/logger.ts (every
 * line carries a stable `event` code), plus the bunyan-style adapter smtp-server wants for its
 * own protocol log. Logging never throws into callers; pino writes synchronously to stdout so
 * the last lines before an exit are not lost.
 */
import { pino } from 'pino';
import type { LogLevel } from '../core/config/defaults.ts';
import type { Logger } from '../core/ports/logger.ts';

export interface LoggerOptions {
  readonly level: LogLevel | string;
  /** Process role ("frontend", "backend", "local-cluster"), bound to every line. */
  readonly role: string;
  /** Further fields bound to every line (backendId, frontendId, ...). */
  readonly [binding: string]: unknown;
}

export type ProcessLogger = Logger & pino.Logger;

export function createLogger(opts: LoggerOptions): ProcessLogger {
  const { level, role, ...bindings } = opts;
  return pino({
    level: String(level),
    base: { role, pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Keep the Logger port's shape: `err` fields are serialised with their stack.
    serializers: { err: pino.stdSerializers.err },
  }) as ProcessLogger;
}

/** Is smtp-server's own protocol log wanted at this level? Only at debug and trace. */
export function wantsProtocolLog(level: string): boolean {
  return level === 'debug' || level === 'trace';
}

/**
 * smtp-server's bunyan-style logger, every record at debug with event "smtp.protocol" (its info
 * lines are per-command chatter; our own smtp.* events carry what operators need).
 */
export function smtpProtocolLogger(logger: pino.Logger): Record<string, (...args: unknown[]) => void> {
  const child = logger.child({ event: 'smtp.protocol' });
  const debug = (...args: unknown[]) => (child.debug as (...a: unknown[]) => void)(...args);
  return { trace: debug, debug, info: debug, warn: debug, error: debug, fatal: debug };
}
