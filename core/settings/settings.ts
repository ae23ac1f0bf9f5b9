/**
 * Account settings and their inheritance: account → domain defaults → cluster defaults → built-in.
 * A setting left unset at one level is taken from the next. Parsing of operator input
 * ("10M", "unlimited", "100/3600", "10m/1d") lives here too so the CLI and config share one grammar;
 * bad input throws SettingValueError naming the setting.
 */
import { BACKEND_ID_PATTERN } from '../config/backend-config.ts';
import { parseAddress, parseDomain } from '../mail/address.ts';
import { SettingValueError } from './errors.ts';

/** [count, seconds]: at most `count` messages per `seconds`. */
export type FlowLimit = readonly [count: number, seconds: number];

/** [every, for] in seconds: retry every `every` seconds until the message has waited `for` seconds, then bounce. */
export type RetryPolicy = readonly [everySeconds: number, forSeconds: number];

export interface AccountSettings {
  /** Mail service enabled for the account (the cluster model's MailIn flag). */
  Enabled: boolean;
  /** Mailbox quota in bytes; null = unlimited. */
  MaxAccountSize: number | null;
  /** Largest message the account accepts, bytes; null = the cluster's SMTP size limit. */
  MaxMessageSize: number | null;
  /** Largest message the account may send, bytes; null = unlimited. */
  MaxMailOutSize: number | null;
  /** Sender limit; null = unlimited. */
  MailOutFlow: FlowLimit | null;
  /** Inbound flow limit (mail-loop guard); null = unlimited. */
  MailInpFlow: FlowLimit | null;
  /** Local delivery while the mail service is disabled: retry every X for Y; null = the queue's schedule. */
  DisabledRetry: RetryPolicy | null;
  /** Local delivery while the account is full: retry every X for Y; null = the queue's schedule. */
  FullRetry: RetryPolicy | null;
  /**
   * The backend that alone opens the account (a static cluster's home), by backend id; null = none
   * (the lease owner or rendezvous hashing decides). A home that is down means "retry later",
   * never another backend.
   */
  HomeBackend: string | null;
  /**
   * Addresses an authenticated user may send as (MAIL FROM and header From) besides the account's
   * own address and its aliases: full addresses and `@domain` entries (any address of that
   * domain), normalised. Empty = none (the built-in).
   */
  SendAs: readonly string[];
}

export type SettingName = keyof AccountSettings;
export type PartialSettings = Partial<AccountSettings>;

export const SETTING_NAMES: readonly SettingName[] = [
  'Enabled',
  'MaxAccountSize',
  'MaxMessageSize',
  'MaxMailOutSize',
  'MailOutFlow',
  'MailInpFlow',
  'DisabledRetry',
  'FullRetry',
  'HomeBackend',
  'SendAs',
];

/** Built-in defaults, the last level of inheritance. */
export const BUILTIN_SETTINGS: AccountSettings = {
  Enabled: true,
  MaxAccountSize: 100 * 1024 * 1024,
  MaxMessageSize: null,
  MaxMailOutSize: null,
  MailOutFlow: [1000, 3600],
  MailInpFlow: null,
  DisabledRetry: null,
  FullRetry: null,
  HomeBackend: null,
  SendAs: [],
};

/** Effective settings: first level that sets a value wins (account, domain, cluster, built-in). */
export function resolveSettings(...levels: (PartialSettings | undefined)[]): AccountSettings {
  const out: Record<string, unknown> = { ...BUILTIN_SETTINGS };
  for (const name of SETTING_NAMES) {
    for (const level of levels) {
      if (level && level[name] !== undefined) {
        out[name] = level[name];
        break;
      }
    }
  }
  return out as unknown as AccountSettings;
}

export function isSettingName(name: string): name is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(name);
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** "10M", "512K", "1048576", "unlimited" → bytes or null. */
export function parseSize(name: string, input: string): number | null {
  const text = input.trim().toUpperCase();
  if (text === 'UNLIMITED') return null;
  const m = /^(\d+)\s*([KMG]?)B?$/.exec(text);
  if (!m) throw new SettingValueError(name, input, 'a size such as 10M, 512K, 1048576 or unlimited');
  return Number(m[1]) * SIZE_UNITS[m[2] ?? '']!;
}

/** "100/3600" or "100/1h", "unlimited" → FlowLimit or null. */
export function parseFlow(name: string, input: string): FlowLimit | null {
  const text = input.trim().toLowerCase();
  if (text === 'unlimited') return null;
  const m = /^(\d+)\s*\/\s*(\d+)\s*([smhd]?)$/.exec(text);
  const seconds = m ? Number(m[2]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[3] ?? ''] ?? 1) : 0;
  if (!m || seconds <= 0) {
    throw new SettingValueError(name, input, 'count/period such as 100/3600, 100/1h or unlimited');
  }
  return [Number(m[1]), seconds];
}

const DURATION_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

/** "10m/1d", "600/86400s", "queue" (the queue's own schedule) → RetryPolicy or null. */
export function parseRetry(name: string, input: string): RetryPolicy | null {
  const text = input.trim().toLowerCase();
  if (text === 'queue') return null;
  const m = /^(\d+)\s*([smhd]?)\s*\/\s*(\d+)\s*([smhd]?)$/.exec(text);
  const every = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? '']! : 0;
  const span = m ? Number(m[3]) * DURATION_UNITS[m[4] ?? '']! : 0;
  if (!m || every <= 0 || span <= 0) {
    throw new SettingValueError(name, input, 'every/for such as 10m/1d, 600/86400 or queue');
  }
  return [every, span];
}

export function parseBoolean(name: string, input: string): boolean {
  const text = input.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(text)) return true;
  if (['false', 'no', 'off', '0'].includes(text)) return false;
  throw new SettingValueError(name, input, 'true or false');
}

/** A backend id (the pattern every backend id matches), or "none" → null. */
export function parseBackendId(name: string, input: string): string | null {
  const text = input.trim();
  if (text.toLowerCase() === 'none') return null;
  if (!BACKEND_ID_PATTERN.test(text)) {
    throw new SettingValueError(name, input, 'a backend id (letters, digits and . _ : - only) or none');
  }
  return text;
}

/**
 * A SendAs list: addresses and `@domain` entries separated by commas or spaces, each normalised;
 * "none" (or an empty text) is the empty list. A bad entry throws SettingValueError naming it.
 */
export function parseSendAs(name: string, input: string): readonly string[] {
  const text = input.trim();
  if (text === '' || text.toLowerCase() === 'none') return [];
  const out: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== '')) {
    const parsed = entry.startsWith('@') ? parseDomain(entry.slice(1)) : parseAddress(entry);
    if (!parsed.ok) {
      throw new SettingValueError(
        name,
        input,
        `addresses and @domain entries separated by commas, or none ("${entry}": ${parsed.reason})`,
      );
    }
    const value = typeof parsed.value === 'string' ? `@${parsed.value}` : parsed.value.address;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

/** Parse one operator-supplied setting; `default` clears it so the value is inherited again. */
export function parseSetting(name: string, input: string): PartialSettings {
  if (!isSettingName(name)) {
    throw new SettingValueError(name, input, `one of the settings ${SETTING_NAMES.join(', ')}`);
  }
  if (input.trim().toLowerCase() === 'default') return { [name]: undefined };
  switch (name) {
    case 'Enabled':
      return { Enabled: parseBoolean(name, input) };
    case 'MailOutFlow':
    case 'MailInpFlow':
      return { [name]: parseFlow(name, input) };
    case 'DisabledRetry':
    case 'FullRetry':
      return { [name]: parseRetry(name, input) };
    case 'HomeBackend':
      return { HomeBackend: parseBackendId(name, input) };
    case 'SendAs':
      return { SendAs: parseSendAs(name, input) };
    default:
      return { [name]: parseSize(name, input) };
  }
}

/** What null means for a setting, as the operator types it: "queue", "none" or "unlimited". */
export function nullWord(name: SettingName): string {
  if (name === 'DisabledRetry' || name === 'FullRetry') return 'queue';
  return name === 'HomeBackend' ? 'none' : 'unlimited';
}

export function formatSetting(name: SettingName, value: AccountSettings[SettingName] | undefined): string {
  if (value === undefined) return '(inherited)';
  if (value === null) return nullWord(name);
  if (typeof value === 'boolean') return String(value);
  if (name === 'SendAs') return formatSendAs(value as readonly string[]);
  if (Array.isArray(value)) return `${value[0]}/${value[1]}s`;
  return String(value);
}

/** A SendAs list as `parseSendAs` reads it back: "a@x.example,@y.example", or "none". */
export function formatSendAs(list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(',');
}
