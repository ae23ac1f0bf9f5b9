/**
 * Logger port: structured logs with a stable `event` code on every line (e.g. "smtp.accepted"),
 * so operators can alert on codes rather than on wording. pino satisfies it in the processes.
 */
export interface LogFields {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface Logger {
  debug(fields: LogFields, msg?: string): void;
  info(fields: LogFields, msg?: string): void;
  warn(fields: LogFields, msg?: string): void;
  error(fields: LogFields, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (unit tests, dry runs). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
