/**
 * Process logging: a pino JSON logger per process that satisfies core/ports/logger.ts (every
 * line carries a stable `event` code), plus the bunyan-style adapter smtp-server wants for its
 * own protocol log. Logging never throws into callers.
 *
 * Two ways to stdout. Synchronous (the default: one-shot processes, Lambda) writes each line
 * before the call returns. Asynchronous (`asyncBufferBytes`, the long-running frontends and
 * backends) never blocks the event loop: on Linux a write to a pipe on stdout is synchronous in
 * Node, so a log reader that stops reading (or a full log disk behind it) would stop the process
 * serving its sockets. Lines go to a buffer of at most `asyncBufferBytes` that one write at a
 * time drains; a line that does not fit is dropped and counted, and once a write completes again
 * one `log.dropped` line says how many were lost. Nothing is flushed synchronously at exit (on a
 * reader that stopped, or a full disk, that would hold the exit for ever): the processes exit
 * through `exitAfterLogs`, which waits up to a second for the buffer to drain.
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

export type ProcessLogger = Logger & pino.Logger & LogDrops;

/** The asynchronous destination's state: lines dropped so far, and a bounded wait for it to drain. */
export interface LogDrops {
  readonly dropped: () => number;
  /** Resolves once every buffered line is written, or after `ms`; never rejects. */
  readonly flushed: (ms: number) => Promise<void>;
}

/** Exit once the buffered log lines are out (or after `ms`): the last lines before an exit. */
export function exitAfterLogs(logger: Partial<LogDrops>, code: number, ms = 1000): void {
  const flushed = logger.flushed ? logger.flushed(ms) : Promise.resolve();
  void flushed.then(() => process.exit(code));
}

/** The parts of pino's SonicBoom destination used here (not all in its types). */
interface Destination {
  on(event: 'drop' | 'write' | 'error', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'write', listener: (...args: unknown[]) => void): unknown;
  /** Bytes buffered or being written (SonicBoom's own count). */
  readonly _len?: number;
}

function asyncStdout(bufferBytes: number, report: (dropped: number) => void) {
  // Made synchronous, then switched: pino registers its own exit hook (a flushSync that never
  // gives up) for asynchronous destinations only, and that hook would hold the exit for ever on
  // a reader that stopped. SonicBoom reads `sync` on every write; ours is the exit flush below.
  const dest = pino.destination({
    dest: 1,
    sync: true,
    minLength: 0,
    maxLength: bufferBytes,
  }) as unknown as Destination & pino.DestinationStream & { sync: boolean };
  dest.sync = false;
  let pending = 0;
  let total = 0;
  dest.on('drop', () => {
    pending++;
    total++;
  });
  let scheduled = false;
  // A write just completed: report the drops once SonicBoom has freed the space (after this
  // event) and while the buffer is at most half full, so the report itself is not dropped.
  const reportDrops = () => {
    scheduled = false;
    if (pending === 0 || (dest._len ?? 0) > bufferBytes / 2) return; // the next write retries
    const n = pending;
    pending = 0;
    report(n);
  };
  dest.on('write', () => {
    if (pending === 0 || scheduled) return;
    scheduled = true;
    setImmediate(reportDrops);
  });
  dest.on('error', () => {}); // EPIPE, ENOSPC: logging never crashes the process
  /** Resolves once nothing is buffered, or after `ms` (a reader that stopped never drains it). */
  const flushed = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        dest.removeListener('write', check);
        resolve();
      };
      const check = () => {
        if (!dest._len) done();
      };
      const timer = setTimeout(done, ms);
      dest.on('write', check);
      check();
    });
  return { dest, dropped: () => total, flushed };
}

export function createLogger(
  opts: LoggerOptions,
  output: { readonly asyncBufferBytes?: number } = {},
): ProcessLogger {
  const { level, role, ...bindings } = opts;
  const options: pino.LoggerOptions = {
    level: String(level),
    base: { role, pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Keep the Logger port's shape: `err` fields are serialised with their stack.
    serializers: { err: pino.stdSerializers.err },
  };
  if (output.asyncBufferBytes === undefined) {
    return Object.assign(pino(options), {
      dropped: () => 0,
      flushed: () => Promise.resolve(),
    });
  }
  let logger: pino.Logger | undefined;
  const stdout = asyncStdout(output.asyncBufferBytes, (dropped) =>
    logger?.warn({ event: 'log.dropped', dropped }, 'log lines dropped while stdout was not writable'),
  );
  logger = pino(options, stdout.dest);
  return Object.assign(logger, { dropped: stdout.dropped, flushed: stdout.flushed }) as ProcessLogger;
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
