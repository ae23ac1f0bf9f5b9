/**
 * `strato cluster settings` and `strato cluster set <Setting> <value>`: the cluster-wide
 * defaults, the last level of inheritance before the built-in values (account → domain → cluster).
 * `cluster set` also takes the lowercase queue-processing keys (processing, concurrency,
 * generated-mail, retry, lifetime; see cluster-control.ts, which also adds `show`, `frontends` and `backends`).
 * An unknown setting or a bad value exits 2 before anything is written.
 */
import type { Command } from 'commander';
import { settingsFromLevels } from '../../core/directory/effective-settings.ts';
import type { Storage } from '../../core/ports/storage.ts';
import type { CliContext } from '../context.ts';
import { formatSettingValue } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, type SettingRow, settingRows, settingRowsJson } from '../settings-view.ts';
import { isQueueKey, QUEUE_KEYS, registerClusterControl, setQueueSetting } from './cluster-control.ts';
import { checkHomeBackend, FORCE_HELP } from './home-backend.ts';

/** The cluster level alone: what applies where neither an account nor its domain sets a value. */
async function clusterRows(storage: Storage): Promise<SettingRow[]> {
  const cluster = await storage.directory.getClusterSettings();
  return settingRows(settingsFromLevels({ cluster }), ['cluster']);
}

export function registerCluster(program: Command, ctx: CliContext): void {
  const cluster = program
    .command('cluster')
    .description('cluster-wide settings, queue processing and the live frontends and backends');
  clusterSettings(cluster, ctx);
  clusterSet(cluster, ctx);
  registerClusterControl(cluster, ctx);
}

function clusterSettings(group: Command, ctx: CliContext): void {
  group
    .command('settings')
    .description('show the cluster defaults and the built-in values they override')
    .action(() => showClusterSettings(ctx));
}

async function showClusterSettings(ctx: CliContext): Promise<void> {
  const rows = await clusterRows(await ctx.storage());
  ctx.out.result(settingRowsJson(rows), () => {
    ctx.out.line('Cluster defaults (apply where neither the account nor its domain sets a value):');
    ctx.out.line(formatSettingRows(rows, ['cluster']));
  });
}

function clusterSet(group: Command, ctx: CliContext): void {
  group
    .command('set')
    .description('set an account default or a queue-processing key; "default" clears either')
    .addHelpText(
      'after',
      `
Account defaults use the Capitalised setting names (see "strato --help").
Queue-processing keys are lowercase (frontends pick a change up within seconds):
  processing       all | none | <frontend-id-or-group>,...   which frontends process the queue
  concurrency      <n>                                        deliveries at once per frontend
  generated-mail   queue | forward                            where backends send rule-generated mail
  retry            <first>,<max>  e.g. 5m,1h                  retry delay: first, doubling up to max
  lifetime         <age>  e.g. 5d                             how long a message may stay queued
A frontend id (it contains "@") must be live or recently seen; a group may be named before its
frontends start (a warning says when none is running). "default" clears a key, so each process's
environment (STRATO_QUEUE_PROCESSING, STRATO_QUEUE_CONCURRENCY, STRATO_GENERATED_MAIL,
STRATO_RETRY_FIRST_SECONDS and STRATO_RETRY_MAX_SECONDS, STRATO_QUEUE_LIFETIME_SECONDS) applies.`,
    )
    .argument('<setting>', parse.settingNamesHelp(...QUEUE_KEYS))
    .argument(
      '<value>',
      'e.g. true, 10M, unlimited, 100/1h, backend-2, none, all, fe-12@host,processing, 8, forward, 5m,1h, 5d, default',
    )
    .option('--force', FORCE_HELP)
    .action((settingInput: string, value: string, opts: { force?: boolean }) =>
      isQueueKey(settingInput)
        ? setQueueSetting(ctx, settingInput, value)
        : setClusterDefault(ctx, settingInput, value, opts.force === true),
    );
}

async function setClusterDefault(
  ctx: CliContext,
  settingInput: string,
  value: string,
  force: boolean,
): Promise<void> {
  const { name, patch } = parse.setting(settingInput, value);
  const storage = await ctx.storage();
  await checkHomeBackend(storage, patch, force);
  await storage.directory.updateClusterSettings(patch);
  const row = (await clusterRows(storage)).find((r) => r.name === name)!;
  ctx.out.resultLine(
    { setting: name, value: row.stored.cluster ?? null, effective: row.effective },
    row.stored.cluster === undefined
      ? `cluster: ${name} cleared (built-in ${formatSettingValue(name, row.effective)} applies)`
      : `cluster: ${name} = ${formatSettingValue(name, row.stored.cluster)}`,
  );
}
