/**
 * The cluster's runtime controls: `strato cluster show` (queue-processing settings and where each
 * value comes from), `strato cluster set processing|concurrency|generated-mail <value>` (called
 * from `cluster set`, whose other setting names are the account defaults), and the live topology,
 * `strato cluster frontends` and `strato cluster backends`. Bad input exits 2 before anything is
 * written. A processing list may name frontend ids (they contain `@`; each must be a live or
 * recently seen frontend) and groups (accepted before any of their frontends runs, with a warning
 * when none is live or recently seen).
 */
import type { Command } from 'commander';
import { DEFAULT_QUEUE_CONCURRENCY } from '../../core/config/defaults.ts';
import { ENV } from '../../core/config/env-names.ts';
import {
  FRONTEND_GROUP_PATTERN,
  FRONTEND_NAME_PATTERN,
  type FrontendInfo,
  GENERATED_MAIL_MODES,
  type QueueSettings,
  type QueueSettingsPatch,
  RESERVED_NAMES,
} from '../../core/ports/cluster-control.ts';
import type { Storage } from '../../core/ports/storage.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatFields, formatRelative } from '../output.ts';
import * as parse from '../parse.ts';

/** The cluster keys `cluster set` takes besides the account settings (lowercase, never a setting name). */
export const QUEUE_KEYS = ['processing', 'concurrency', 'generated-mail'] as const;
type QueueKey = (typeof QUEUE_KEYS)[number];
const FIELD: Record<QueueKey, keyof QueueSettings> = {
  processing: 'processing',
  concurrency: 'concurrency',
  'generated-mail': 'generatedMail',
};

export function isQueueKey(input: string): input is QueueKey {
  return (QUEUE_KEYS as readonly string[]).includes(input);
}

/** Where an unset value comes from: each process's own environment. */
const DEFAULT_SOURCES: Record<QueueKey, string> = {
  processing: `each frontend's ${ENV.queueProcessing} (built-in: all)`,
  concurrency: `each frontend's ${ENV.queueConcurrency} (built-in: ${DEFAULT_QUEUE_CONCURRENCY})`,
  'generated-mail': `each backend's ${ENV.generatedMail} (built-in: queue)`,
};

function formatValue(key: QueueKey, settings: QueueSettings): string | undefined {
  const v = settings[FIELD[key]];
  if (v === undefined) return undefined;
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
  const settings = await (await ctx.storage()).control.getQueueSettings();
  const rows = QUEUE_KEYS.map((key) => {
    const value = formatValue(key, settings);
    return {
      key,
      value: settings[FIELD[key]] ?? null,
      source: value === undefined ? 'default' : 'cluster',
      text: value,
    };
  });
  ctx.out.result(Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source }])), () => {
    ctx.out.line('Queue processing (cluster settings; change with "strato cluster set <key> <value>"):');
    ctx.out.line(
      formatFields(
        rows.map((r) => [
          r.key,
          r.text === undefined ? `default: ${DEFAULT_SOURCES[r.key]}` : `${r.text} (cluster setting)`,
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
  let patch: QueueSettingsPatch;
  if (clear) patch = { [FIELD[key]]: null };
  else if (key === 'concurrency') patch = { concurrency: concurrency(value) };
  else if (key === 'generated-mail')
    patch = { generatedMail: parse.oneOf(value, GENERATED_MAIL_MODES, 'generated-mail mode') };
  else patch = { processing: processingSyntax(value) };
  const storage = await ctx.storage();
  if (!clear && Array.isArray(patch.processing)) await checkNames(ctx, storage, patch.processing);
  const stored = await storage.control.updateQueueSettings(patch);
  const shown = formatValue(key, stored);
  ctx.out.resultLine(
    { setting: key, value: stored[FIELD[key]] ?? null },
    shown === undefined
      ? `cluster: ${key} cleared (${DEFAULT_SOURCES[key]} applies)`
      : `cluster: ${key} = ${shown} (frontends pick it up within seconds)`,
  );
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

/** Ids must be known; a group that nothing live or recent belongs to gets a warning only. */
async function checkNames(ctx: CliContext, storage: Storage, names: readonly string[]): Promise<void> {
  const known = await storage.control.listRecentFrontends();
  const ids = new Set(known.map((f) => f.id));
  const groups = new Set(known.map((f) => f.group));
  for (const name of names) {
    if (FRONTEND_GROUP_PATTERN.test(name)) {
      if (!groups.has(name) && !ids.has(name))
        ctx.io.stderr.write(`strato: warning: no live or recently seen frontend is in group "${name}"\n`);
    } else if (!ids.has(name)) {
      throw new UsageError(
        `unknown frontend "${name}": no live or recently seen frontend has this id (see "strato cluster frontends")`,
      );
    }
  }
}

async function listFrontends(ctx: CliContext): Promise<void> {
  const storage = await ctx.storage();
  const [live, now] = [await storage.control.listLiveFrontends(), Date.now()];
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
    rows: live.map((f: FrontendInfo) => [
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
  const [live, now] = [await storage.backends.listLive(), Date.now()];
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
