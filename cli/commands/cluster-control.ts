/**
 * The cluster's runtime controls: `strato cluster show` (queue-processing settings and where each
 * value comes from), `strato cluster set processing|concurrency|generated-mail|retry|lifetime
 * <value>` (called from `cluster set`, whose other setting names are the account defaults), and
 * the live topology, `strato cluster frontends` and `strato cluster backends`. The use cases are
 * core/admin/cluster.ts and core/admin/frontends.ts; this file parses the command line and prints.
 * Bad input exits 2 before anything is written. A processing list may name frontend ids (they
 * contain `@`; each must be a live or recently seen frontend) and groups (accepted before any of
 * their frontends runs, with a warning when none is live or recently seen).
 */
import type { Command } from 'commander';
import {
  getQueueProcessing,
  type QueueProcessingView,
  type SettingView,
  updateQueueProcessing,
} from '../../core/admin/cluster.ts';
import { InvalidInputError } from '../../core/admin/errors.ts';
import { listBackends as backendsView, listFrontends as frontendsView } from '../../core/admin/frontends.ts';
import {
  FRONTEND_NAME_PATTERN,
  GENERATED_MAIL_MODES,
  type QueueSettingName,
  type QueueSettingsPatch,
  RESERVED_NAMES,
} from '../../core/ports/cluster-control.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatDuration, formatFields, formatRelative } from '../output.ts';
import * as parse from '../parse.ts';
import { duration } from './queue/filter.ts';

/** The cluster keys `cluster set` takes besides the account settings (lowercase, never a setting name). */
export const QUEUE_KEYS = ['processing', 'concurrency', 'generated-mail', 'retry', 'lifetime'] as const;
type QueueKey = (typeof QUEUE_KEYS)[number];
const FIELD: Record<QueueKey, QueueSettingName> = {
  processing: 'processing',
  concurrency: 'concurrency',
  'generated-mail': 'generatedMail',
  retry: 'retry',
  lifetime: 'lifetimeSeconds',
};

export function isQueueKey(input: string): input is QueueKey {
  return (QUEUE_KEYS as readonly string[]).includes(input);
}

const seconds = (s: number): string => (s % 60 === 0 ? formatDuration(s * 1000) : `${s}s`);

function formatValue(key: QueueKey, view: QueueProcessingView): string | undefined {
  const v = (view[FIELD[key]] as SettingView<unknown>).value;
  if (v === null) return undefined;
  if (key === 'retry') {
    const r = v as { firstSeconds: number; maxSeconds: number };
    return `${seconds(r.firstSeconds)},${seconds(r.maxSeconds)}`;
  }
  if (key === 'lifetime') return seconds(v as number);
  return Array.isArray(v) ? v.join(',') : String(v);
}

export function registerClusterControl(cluster: Command, ctx: CliContext): void {
  cluster
    .command('show')
    .description('show the queue-processing settings and where each value comes from')
    .action(() => showQueueSettings(ctx));
  cluster
    .command('frontends')
    .description('live frontends: group, sessions, queue processing, jobs in flight, version')
    .action(() => listFrontends(ctx));
  cluster
    .command('backends')
    .description('live backends: kind, address, accounts open, version')
    .action(() => listBackends(ctx));
}

async function showQueueSettings(ctx: CliContext): Promise<void> {
  const view = await getQueueProcessing({ control: (await ctx.storage()).control });
  const rows = QUEUE_KEYS.map((key) => {
    const setting = view[FIELD[key]] as SettingView<unknown>;
    return { key, setting, text: formatValue(key, view) };
  });
  const json = rows.map((r) => [r.key, { value: r.setting.value, source: r.setting.source }]);
  ctx.out.result(Object.fromEntries(json), () => {
    ctx.out.line('Queue processing (cluster settings; change with "strato cluster set <key> <value>"):');
    ctx.out.line(
      formatFields(
        rows.map((r) => [
          r.key,
          r.text === undefined ? `default: ${r.setting.defaultFrom}` : `${r.text} (cluster setting)`,
        ]),
      ),
    );
    ctx.out.line('Account defaults: see "strato cluster settings".');
  });
}

/** `cluster set <key> <value>` for a queue key; "default" clears it. */
export async function setQueueSetting(ctx: CliContext, key: QueueKey, input: string): Promise<void> {
  const value = input.trim();
  const clear = value.toLowerCase() === 'default';
  const patch: QueueSettingsPatch = { [FIELD[key]]: clear ? null : parseValue(key, value) };
  const storage = await ctx.storage();
  let view: Awaited<ReturnType<typeof updateQueueProcessing>>;
  try {
    view = await updateQueueProcessing({ control: storage.control }, patch);
  } catch (err) {
    if (err instanceof InvalidInputError && err.message.startsWith('unknown frontend'))
      throw new UsageError(`${err.message} (see "strato cluster frontends")`);
    throw err;
  }
  for (const w of view.warnings) ctx.io.stderr.write(`strato: warning: ${w}\n`);
  const shown = formatValue(key, view);
  const setting = view[FIELD[key]] as SettingView<unknown>;
  ctx.out.resultLine(
    { setting: key, value: setting.value },
    shown === undefined
      ? `cluster: ${key} cleared (${setting.defaultFrom} applies)`
      : `cluster: ${key} = ${shown} (${key === 'retry' || key === 'lifetime' ? 'queue processors' : 'frontends'} pick it up within seconds)`,
  );
}

function parseValue(key: QueueKey, value: string): QueueSettingsPatch[QueueSettingName] {
  if (key === 'concurrency') return concurrency(value);
  if (key === 'generated-mail') return parse.oneOf(value, GENERATED_MAIL_MODES, 'generated-mail mode');
  if (key === 'retry') return retry(value);
  if (key === 'lifetime') return duration(value, 'lifetime') / 1000;
  return processingSyntax(value);
}

/** `<first>,<max>` durations: the first retry delay, doubling up to the ceiling. */
function retry(value: string): { firstSeconds: number; maxSeconds: number } {
  const parts = value.split(',');
  if (parts.length !== 2)
    throw new UsageError(`invalid retry "${value}": expected <first>,<max> such as 5m,1h`);
  return {
    firstSeconds: duration(parts[0]!, 'first retry delay') / 1000,
    maxSeconds: duration(parts[1]!, 'longest retry delay') / 1000,
  };
}

function concurrency(value: string): number {
  const n = parse.positiveInt(value, 'concurrency');
  if (n > 1000) throw new UsageError(`invalid concurrency "${value}": at most 1000`);
  return n;
}

/** all, none, or a comma-separated list of frontend ids and group names. */
function processingSyntax(value: string): 'all' | 'none' | string[] {
  const lower = value.toLowerCase();
  if (lower === 'all' || lower === 'none') return lower;
  const names = [...new Set(value.split(',').map((n) => n.trim()))];
  for (const name of names) {
    if (!name || !FRONTEND_NAME_PATTERN.test(name) || RESERVED_NAMES.includes(name.toLowerCase())) {
      throw new UsageError(
        `invalid frontend or group name "${name}": expected all, none, default or a comma-separated list of frontend ids and groups (letters, digits and . _ : - @)`,
      );
    }
  }
  return names;
}

async function listFrontends(ctx: CliContext): Promise<void> {
  const storage = await ctx.storage();
  const [live, now] = [await frontendsView(storage), Date.now()];
  ctx.out.resultTable(live, {
    headers: [
      'ID',
      'GROUP',
      'ADDRESS',
      'SESSIONS',
      'PROCESSING',
      'JOBS',
      'CONCURRENCY',
      'VERSION',
      'UP',
      'SEEN',
    ],
    rows: live.map((f) => [
      f.id,
      f.group,
      f.address || '-',
      String(f.sessions),
      f.processing ? 'on' : 'off',
      String(f.jobsInFlight),
      String(f.concurrency),
      f.version,
      formatRelative(f.startedAt, now).replace(' ago', ''),
      formatRelative(f.seenAt, now),
    ]),
    empty: 'no live frontends',
  });
}

async function listBackends(ctx: CliContext): Promise<void> {
  const storage = await ctx.storage();
  const [live, now] = [await backendsView(storage), Date.now()];
  ctx.out.resultTable(live, {
    headers: ['ID', 'KIND', 'ADDRESS', 'ACCOUNTS', 'VERSION', 'UP', 'EXPIRES'],
    rows: live.map((b) => [
      b.id,
      b.kind,
      b.address,
      b.accountsOpen === undefined ? '-' : String(b.accountsOpen),
      b.version ?? '-',
      b.startedAt === undefined ? '-' : formatRelative(b.startedAt, now).replace(' ago', ''),
      formatRelative(b.expiresAt, now),
    ]),
    empty: 'no live backends',
  });
}
