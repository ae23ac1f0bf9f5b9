/**
 * The value grammars rules use, shared by validation (model.ts) and evaluation (conditions.ts):
 * `*` wildcard patterns, sizes with K/M/G suffixes, YYYY-MM-DD dates, HH:MM times, week days,
 * message flags, and the account's local calendar view of an instant. Parsers return undefined
 * for text that does not fit the grammar (validation turns that into a message); nothing throws.
 */

/**
 * A `*` wildcard pattern (any run of characters), matched case-insensitively against the whole
 * string. Iterative with one backtrack point, so O(pattern × text) even for "*a*a*a*b" on long
 * header values (a regular expression would backtrack exponentially).
 */
export function wildcardMatches(pattern: string, text: string): boolean {
  const p = [...pattern.toLowerCase()];
  const t = [...text.toLowerCase()];
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = ti;
    } else if (pi < p.length && p[pi] === t[ti]) {
      pi++;
      ti++;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** 1048576, "1048576", "512K", "10M", "1G" (1024-based, an optional trailing B) → bytes. */
export function parseSizeValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+)\s*([KMG]?)B?$/i.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toUpperCase()]!;
}

/** "2025-12-24" → the same string when it is a real calendar date, else undefined. */
export function parseDateValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
    ? value
    : undefined;
}

/** "09:30" → minutes since midnight (0..1439), else undefined. */
export function parseTimeValue(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return undefined;
  const [h, min] = [Number(m[1]), Number(m[2])];
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

export const WEEK_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type WeekDay = (typeof WEEK_DAYS)[number];

/** "mon", "Mon" → "Mon"; anything else → undefined. */
export function parseWeekDay(value: unknown): WeekDay | undefined {
  if (typeof value !== 'string') return undefined;
  return WEEK_DAYS.find((d) => d.toLowerCase() === value.trim().toLowerCase());
}

/** The account's local view of an instant (`utcOffsetMinutes` east of UTC, e.g. +60 for CET). */
export interface LocalTime {
  /** "2025-03-03" */
  readonly date: string;
  /** "09:05" */
  readonly time: string;
  readonly minutes: number;
  readonly day: WeekDay;
  /** "UTC", "UTC+01:00", "UTC-05:30" */
  readonly zone: string;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export function formatUtcOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return '+0000';
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

export function localTime(now: Date, utcOffsetMinutes = 0): LocalTime {
  const shifted = new Date(now.getTime() + utcOffsetMinutes * 60_000);
  const y = shifted.getUTCFullYear();
  const hours = shifted.getUTCHours();
  const minutes = shifted.getUTCMinutes();
  const offset = formatUtcOffset(utcOffsetMinutes);
  return {
    date: `${String(y).padStart(4, '0')}-${pad2(shifted.getUTCMonth() + 1)}-${pad2(shifted.getUTCDate())}`,
    time: `${pad2(hours)}:${pad2(minutes)}`,
    minutes: hours * 60 + minutes,
    day: WEEK_DAYS[shifted.getUTCDay()]!,
    zone: utcOffsetMinutes === 0 ? 'UTC' : `UTC${offset.slice(0, 3)}:${offset.slice(3)}`,
  };
}

/** User-facing flag names → the IMAP form stored with the message. */
const FLAG_NAMES: Readonly<Record<string, string>> = {
  seen: '\\Seen',
  read: '\\Seen',
  flagged: '\\Flagged',
  answered: '\\Answered',
  deleted: '\\Deleted',
  draft: '\\Draft',
  junk: '$Junk',
  notjunk: '$NotJunk',
};

/**
 * "Seen"/"Read", "Flagged", "Answered", "Deleted", "Draft", "Junk", "NotJunk" (any case, with or
 * without a leading backslash) or an IMAP keyword such as "$Label1" → the stored flag.
 */
export function normalizeFlag(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const known = FLAG_NAMES[value.replace(/^\\/, '').toLowerCase()];
  if (known) return known;
  return /^\$?[A-Za-z0-9_.-]{1,64}$/.test(value) && value.startsWith('$') ? value : undefined;
}
