/**
 * Validation of command-line input before any storage is opened: addresses and domains (with
 * core/mail/address.ts), setting names and values (core/directory/settings.ts), MailToUnknown
 * policies, counts, passwords from --password or --password-stdin, and files named as arguments.
 * Every function returns the normalised value or throws UsageError (exit 2) naming the problem.
 */

import { readFile } from 'node:fs/promises';
import { parseAddress, parseDomain } from '../core/mail/address.ts';
import type { MailToUnknown } from '../core/ports/directory.ts';
import {
  type PartialSettings,
  parseSetting,
  SETTING_NAMES,
  type SettingName,
} from '../core/settings/settings.ts';
import { UsageError } from './errors.ts';

export function address(input: string, what = 'address'): string {
  const parsed = parseAddress(input);
  if (!parsed.ok) throw new UsageError(`invalid ${what} "${input}": ${parsed.reason}`);
  return parsed.value.address;
}

export function domain(input: string): string {
  const parsed = parseDomain(input);
  if (!parsed.ok) throw new UsageError(`invalid domain "${input}": ${parsed.reason}`);
  return parsed.value;
}

/** A setting name, matched case-insensitively to its canonical spelling. */
export function settingName(input: string): SettingName {
  const found = SETTING_NAMES.find((n) => n.toLowerCase() === input.toLowerCase());
  if (!found) throw new UsageError(`unknown setting "${input}": expected one of ${SETTING_NAMES.join(', ')}`);
  return found;
}

/**
 * One setting as a patch. `default` yields `{ Name: undefined }` (clear, inherit again).
 * SettingValueError from core (exit 2) names the setting and the expected form.
 */
export function setting(nameInput: string, value: string): { name: SettingName; patch: PartialSettings } {
  const name = settingName(nameInput);
  return { name, patch: parseSetting(name, value) };
}

/** The setting names for help text, "Enabled, ... DisabledRetry or FullRetry", with `extra` last. */
export function settingNamesHelp(...extra: string[]): string {
  const names = [...SETTING_NAMES, ...extra];
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

export const MAIL_TO_UNKNOWN_FORMS = 'reject, discard, accept-and-bounce or reroute:<address>';

export function mailToUnknown(input: string): MailToUnknown {
  const text = input.trim();
  const lower = text.toLowerCase();
  if (lower === 'reject' || lower === 'discard' || lower === 'accept-and-bounce') return { action: lower };
  if (lower.startsWith('reroute:')) {
    const target = text.slice('reroute:'.length);
    return { action: 'reroute', to: address(target, 'reroute address') };
  }
  throw new UsageError(`invalid mail-to-unknown "${input}": expected ${MAIL_TO_UNKNOWN_FORMS}`);
}

/** Names `domain set` accepts for the MailToUnknown policy besides the account settings. */
export function isMailToUnknownName(input: string): boolean {
  return ['mail-to-unknown', 'mailtounknown'].includes(input.toLowerCase());
}

export function positiveInt(input: string, what: string): number {
  if (!/^\d+$/.test(input.trim()) || Number(input) < 1) {
    throw new UsageError(`invalid ${what} "${input}": expected a positive whole number`);
  }
  return Number(input);
}

export function oneOf<T extends string>(input: string, allowed: readonly T[], what: string): T {
  const found = allowed.find((a) => a === input.toLowerCase());
  if (!found) throw new UsageError(`invalid ${what} "${input}": expected one of ${allowed.join(', ')}`);
  return found;
}

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/**
 * The password from --password or the first line of stdin, or undefined when neither was
 * given. Both at once, or an empty password, is a UsageError.
 */
export async function password(
  opts: PasswordOptions,
  stdin: AsyncIterable<Buffer | string>,
): Promise<string | undefined> {
  if (opts.password !== undefined && opts.passwordStdin) {
    throw new UsageError('give either --password or --password-stdin, not both');
  }
  let value = opts.password;
  if (opts.passwordStdin) {
    // The first line only, so an interactive user ends it with Enter rather than Ctrl-D.
    let text = '';
    for await (const chunk of stdin) {
      text += chunk.toString('utf8');
      if (text.includes('\n')) break;
    }
    value = text.split('\n')[0]!.replace(/\r$/, '');
  }
  if (value === undefined) return undefined;
  if (value.length === 0) throw new UsageError('the password is empty');
  if (/[\r\n]/.test(value)) throw new UsageError('the password must not contain a line break');
  return value;
}

/** The bytes of a file named on the command line; a missing or unreadable file is a UsageError. */
export function readFileArg(file: string): Promise<Buffer> {
  return readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
}
