/**
 * What the directory use cases (domains, accounts, aliases, forwarders, DKIM, rules) share:
 * validation of their inputs into normalised values, the look-ups of objects that must exist,
 * and the HomeBackend check. Each throws InvalidInputError naming the field as the caller sent
 * it, or NotFoundAdminError; wording matches what the CLI has always printed.
 */
import { parseAddress, parseDomain } from '../mail/address.ts';
import type { BackendRegistry } from '../ports/backend-registry.ts';
import type { AccountRecord, DirectoryReader, DomainRecord, MailToUnknown } from '../ports/directory.ts';
import { SettingValueError } from '../settings/errors.ts';
import { type PartialSettings, parseSetting, SETTING_NAMES, type SettingName } from '../settings/settings.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';

/** A normalised address, or InvalidInputError(field) worded `invalid <what> "<input>": <reason>`. */
export function validAddress(input: unknown, field: string, what = 'address'): string {
  if (typeof input !== 'string') throw new InvalidInputError(field, `${field} must be a string`);
  const parsed = parseAddress(input);
  if (!parsed.ok) throw new InvalidInputError(field, `invalid ${what} "${input}": ${parsed.reason}`);
  return parsed.value.address;
}

export function validDomain(input: unknown, field: string): string {
  if (typeof input !== 'string') throw new InvalidInputError(field, `${field} must be a string`);
  const parsed = parseDomain(input);
  if (!parsed.ok) throw new InvalidInputError(field, `invalid domain "${input}": ${parsed.reason}`);
  return parsed.value;
}

export function validPassword(input: unknown, field = 'password'): string {
  if (typeof input !== 'string') throw new InvalidInputError(field, `${field} must be a string`);
  if (input.length === 0) throw new InvalidInputError(field, 'the password is empty');
  if (/[\r\n]/.test(input)) throw new InvalidInputError(field, 'the password must not contain a line break');
  return input;
}

export const MAIL_TO_UNKNOWN_FORMS = 'reject, discard, accept-and-bounce or reroute:<address>';

/** A MailToUnknown policy given as an object ({ action, to? }) or in its text form ("reroute:a@b"). */
export function validMailToUnknown(input: unknown, field = 'mailToUnknown'): MailToUnknown {
  const text =
    typeof input === 'string'
      ? input.trim()
      : typeof input === 'object' &&
          input !== null &&
          typeof (input as { action?: unknown }).action === 'string'
        ? (input as { action: string }).action
        : undefined;
  const lower = text?.toLowerCase();
  if (lower === 'reject' || lower === 'discard' || lower === 'accept-and-bounce') return { action: lower };
  if (typeof input === 'object' && lower === 'reroute') {
    const to = (input as { to?: unknown }).to;
    return { action: 'reroute', to: validAddress(to, `${field}.to`, 'reroute address') };
  }
  if (typeof input === 'string' && lower?.startsWith('reroute:')) {
    return { action: 'reroute', to: validAddress(text!.slice('reroute:'.length), field, 'reroute address') };
  }
  throw new InvalidInputError(
    field,
    `invalid mail-to-unknown "${text ?? String(input)}": expected ${MAIL_TO_UNKNOWN_FORMS}`,
  );
}

/** A setting name matched case-insensitively to its canonical spelling. */
export function validSettingName(input: string, field: string): SettingName {
  const found = SETTING_NAMES.find((n) => n.toLowerCase() === input.toLowerCase());
  if (!found) {
    throw new InvalidInputError(
      field,
      `unknown setting "${input}": expected one of ${SETTING_NAMES.join(', ')}`,
    );
  }
  return found;
}

/**
 * Settings in the operator grammar ("10M", "100/1h", "unlimited", "true"; "default" clears the
 * setting so it is inherited again) as a patch. Fields are named `<field>.<Setting>`.
 */
export function validSettingsPatch(
  input: Readonly<Record<string, string | number | boolean>>,
  field = 'settings',
): PartialSettings {
  if (typeof input !== 'object' || input === null)
    throw new InvalidInputError(field, `${field} must be an object`);
  let patch: PartialSettings = {};
  for (const [key, value] of Object.entries(input)) {
    const name = validSettingName(key, `${field}.${key}`);
    try {
      patch = { ...patch, ...parseSetting(name, String(value)) };
    } catch (err) {
      if (err instanceof SettingValueError) throw new InvalidInputError(`${field}.${name}`, err.message);
      throw err;
    }
  }
  return patch;
}

/** A page size: a whole number in 1..max, `fallback` when absent. */
export function validLimit(input: number | undefined, fallback: number, max: number): number {
  if (input === undefined) return fallback;
  if (!Number.isInteger(input) || input < 1 || input > max) {
    throw new InvalidInputError(
      'limit',
      `invalid limit "${input}": expected a whole number from 1 to ${max}`,
    );
  }
  return input;
}

export async function requireDomain(directory: DirectoryReader, name: string): Promise<DomainRecord> {
  const record = await directory.getDomain(name);
  if (!record) throw new NotFoundAdminError('domain', name);
  return record;
}

export async function requireAccount(directory: DirectoryReader, address: string): Promise<AccountRecord> {
  const record = await directory.getAccount(address);
  if (!record) throw new NotFoundAdminError('account', address);
  return record;
}

type EntryKind = 'account' | 'alias' | 'forwarder';

const article = (kind: EntryKind): string =>
  kind === 'account' ? 'an account' : kind === 'alias' ? 'an alias' : 'a forwarder';

/** Fails unless `address` is an entry of `kind`; the message names what it is instead, if anything. */
export async function requireEntryOfKind(
  directory: DirectoryReader,
  address: string,
  kind: 'alias' | 'forwarder',
): Promise<void> {
  const entry = await directory.lookupName(address);
  if (entry?.kind !== kind) {
    const instead = entry ? ` (it is ${article(entry.kind)})` : '';
    throw new NotFoundAdminError(kind, address, `${kind} ${address} does not exist${instead}`);
  }
}

/**
 * A HomeBackend being stored must be live or at least registered (it has started once), unless
 * `force` (to pre-assign a backend that has not started yet).
 */
export async function checkHomeBackend(
  backends: Pick<BackendRegistry, 'listAll'>,
  patch: PartialSettings,
  force: boolean,
  field: string,
): Promise<void> {
  const home = patch.HomeBackend;
  if (typeof home !== 'string' || force) return;
  const known = await backends.listAll();
  if (known.some((b) => b.id === home)) return;
  const ids = known.map((b) => b.id).join(', ') || 'none';
  throw new InvalidInputError(
    `${field}.HomeBackend`,
    `backend ${home} is neither live nor registered (registered: ${ids}); use --force to assign it before it first starts`,
  );
}
