/**
 * Output for the CLI: aligned text tables, "key: value" blocks, JSON (with --json), and the
 * formatting of sizes, ages, times, settings and MailToUnknown the commands share.
 * Everything goes to the run's stdout; errors never pass through here (see errors.ts and main.ts).
 * Pure functions apart from `Printer`; nothing here fails on odd input (it prints "-").
 */

import type { Writable } from 'node:stream';
import type { MailToUnknown } from '../core/ports/directory.ts';
import { type AccountSettings, formatSendAs, nullWord, type SettingName } from '../core/settings/settings.ts';

/** Writes a command's result: the JSON value with --json, else the text. */
export class Printer {
  constructor(
    readonly json: boolean,
    private readonly stdout: Writable,
  ) {}

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Text as it is (it brings its own line ends). */
  text(text: string): void {
    this.stdout.write(text);
  }

  /**
   * Copy bytes to stdout unchanged (`mailbox read`), waiting on back-pressure. A reader that
   * goes away (EPIPE, e.g. `| head`) ends the copy quietly.
   */
  async raw(source: AsyncIterable<Uint8Array>): Promise<void> {
    const out = this.stdout;
    let failure: NodeJS.ErrnoException | undefined;
    // Stays attached: a write that fails after the copy must not become an uncaught error.
    out.on('error', (err: NodeJS.ErrnoException) => {
      failure ??= err;
    });
    for await (const chunk of source) {
      if (!failure && !out.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done);
            out.off('error', done);
            resolve();
          };
          out.once('drain', done);
          out.once('error', done);
        });
      }
      if (failure) break;
    }
    if (failure && failure.code !== 'EPIPE') throw failure;
  }

  /** With --json print `value` as JSON, else call `text` (which prints with `line`). */
  result(value: unknown, text: () => void): void {
    if (this.json) this.line(JSON.stringify(value, jsonReplacer, 2));
    else text();
  }

  /** A command's outcome: `value` as JSON with --json, else the one line `text`. */
  resultLine(value: unknown, text: string): void {
    this.result(value, () => this.line(text));
  }

  /** A listing: `value` as JSON with --json, else the table of `rows`, or `empty` when there are none. */
  resultTable(value: unknown, table: Listing): void {
    this.result(value, () =>
      this.line(table.rows.length === 0 ? table.empty : formatTable(table.headers, table.rows)),
    );
  }
}

/** A text table and the line printed instead of it when it has no rows. */
export interface Listing {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly empty: string;
}

/** Keeps explicit `undefined` values visible as null, so cleared settings show up in JSON. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return value === undefined ? null : value;
}

/** Columns padded to the widest cell; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...rows.map(render)].join('\n');
}

/** "Label:  value" lines with the values aligned. */
export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n');
}

const UNITS: readonly [string, number][] = [
  ['G', 1024 ** 3],
  ['M', 1024 ** 2],
  ['K', 1024],
];

/** 10485760 → "10M" (exact multiples only, so the text parses back to the same value). */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of UNITS) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** Human size for display only: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [unit, factor] = UNITS.find(([, f]) => bytes >= f) ?? ['K', 1024];
  return `${(bytes / factor).toFixed(1).replace(/\.0$/, '')} ${unit}iB`;
}

/** A settings value in the grammar `parseSetting` reads back ("10M", "100/3600s", "unlimited"). */
export function formatSettingValue(
  name: SettingName,
  value: AccountSettings[SettingName] | undefined,
): string {
  if (value === undefined) return '-';
  if (value === null) return nullWord(name);
  if (typeof value === 'boolean') return String(value);
  if (name === 'SendAs') return formatSendAs(value as readonly string[]);
  if (Array.isArray(value) && (name === 'DisabledRetry' || name === 'FullRetry'))
    return `${value[0]}s/${value[1]}s`;
  if (Array.isArray(value)) return `${value[0]}/${value[1]}s`;
  if (typeof value === 'number' && name !== 'Enabled') return formatSize(value);
  return String(value);
}

export function formatMailToUnknown(m: MailToUnknown): string {
  return m.action === 'reroute' ? `reroute:${m.to}` : m.action;
}

/** Duration in the largest two units: 3725000 → "1h2m", 42000 → "42s". */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.slice(0, 2).join('');
}

/** ISO time in UTC without milliseconds; "-" when absent. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "now", "in 4m", or "2m ago" relative to `now`. */
export function formatRelative(ms: number, now: number): string {
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}
