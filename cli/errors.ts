/**
 * CLI error handling: the errors commands throw for bad input (UsageError, exit 2) and for
 * missing or conflicting objects (CliError, exit 1), and `describeError`, which maps those, the
 * admin use cases' errors (core/admin/errors.ts), the directory/port errors of core and
 * commander's parse errors to one stderr line plus an exit code. Anything unexpected becomes "strato: <message>" with exit 1; its stack is shown only
 * when STRATO_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { AdminError, InvalidInputError } from '../core/admin/errors.ts';
import {
  AlreadyExistsError,
  DirectoryError,
  DomainNotEmptyError,
  InvalidAddressError,
  NotFoundError,
} from '../core/directory/errors.ts';
import { MessageNotFoundError, PortError, QueueDelayError, QueueFullError } from '../core/ports/errors.ts';
import { SettingValueError } from '../core/settings/errors.ts';

export const EXIT_OK = 0;
/** Not found, conflict, or an unexpected failure. */
export const EXIT_FAILURE = 1;
/** Usage or validation error: the command line itself is wrong. */
export const EXIT_USAGE = 2;

/** An error whose message is already worded for the operator. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** The command line is wrong (bad address, unknown setting, conflicting options...). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

export interface DescribedError {
  /** One line, without the "strato: " prefix; empty when commander already printed it. */
  readonly message: string;
  readonly exitCode: number;
  /** True when the error was not foreseen (the stack may help, under STRATO_DEBUG=1). */
  readonly unexpected: boolean;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, '; ').trim();

export function describeError(err: unknown): DescribedError {
  const known = (message: string, exitCode: number): DescribedError => ({
    message: oneLine(message),
    exitCode,
    unexpected: false,
  });
  if (err instanceof CommanderError) {
    // commander printed its own message through outputError (see main.ts); only the code is ours.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
      return { message: '', exitCode: EXIT_OK, unexpected: false };
    }
    return { message: '', exitCode: EXIT_USAGE, unexpected: false };
  }
  if (err instanceof CliError) return known(err.message, err.exitCode);
  // The admin use cases' errors: bad input exits 2; not found, conflict, forbidden exit 1.
  if (err instanceof InvalidInputError) return known(err.message, EXIT_USAGE);
  if (err instanceof AdminError) return known(err.message, EXIT_FAILURE);
  if (err instanceof SettingValueError || err instanceof InvalidAddressError) {
    return known(err.message, EXIT_USAGE);
  }
  if (
    err instanceof AlreadyExistsError ||
    err instanceof NotFoundError ||
    err instanceof DomainNotEmptyError
  ) {
    return known(err.message, EXIT_FAILURE);
  }
  if (err instanceof DirectoryError) return known(err.message, EXIT_FAILURE);
  if (err instanceof QueueDelayError) return known(err.message, EXIT_USAGE);
  if (err instanceof QueueFullError || err instanceof MessageNotFoundError || err instanceof PortError) {
    return known(err.message, EXIT_FAILURE);
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: oneLine(message || 'unknown error'), exitCode: EXIT_FAILURE, unexpected: true };
}
