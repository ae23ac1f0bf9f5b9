/**
 * `strato cluster settings` and `strato cluster set <Setting> <value>`: the cluster-wide
 * defaults, the last level of inheritance before the built-in values (account → domain → cluster).
 * An unknown setting or a bad value exits 2 before the data dir is opened.
 */
import type { Command } from 'commander';
import { settingsFromLevels } from '../../core/directory/effective-settings.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import type { CliContext } from '../context.ts';
import { formatSettingValue } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, settingRows, settingRowsJson } from '../settings-view.ts';

/** The cluster level alone: what applies where neither an account nor its domain sets a value. */
const clusterLevel = (cluster: PartialSettings) => settingsFromLevels({ cluster });

export function registerCluster(program: Command, ctx: CliContext): void {
  const cluster = program.command('cluster').description('cluster-wide settings');

  cluster
    .command('settings')
    .description('show the cluster defaults and the built-in values they override')
    .action(async () => {
      const storage = await ctx.storage();
      const rows = settingRows(clusterLevel(await storage.directory.getClusterSettings()), ['cluster']);
      ctx.out.result(settingRowsJson(rows), () => {
        ctx.out.line('Cluster defaults (apply where neither the account nor its domain sets a value):');
        ctx.out.line(formatSettingRows(rows, ['cluster']));
      });
    });

  cluster
    .command('set')
    .description('set a cluster default; "default" clears it so the built-in value applies')
    .argument(
      '<setting>',
      'Enabled, MaxAccountSize, MaxMessageSize, MaxMailOutSize, MailOutFlow, MailInpFlow, DisabledRetry or FullRetry',
    )
    .argument('<value>', 'e.g. true, 10M, unlimited, 100/1h, default')
    .action(async (settingInput: string, value: string) => {
      const { name, patch } = parse.setting(settingInput, value);
      const storage = await ctx.storage();
      await storage.directory.updateClusterSettings(patch);
      const row = settingRows(clusterLevel(await storage.directory.getClusterSettings()), ['cluster']).find(
        (r) => r.name === name,
      )!;
      ctx.out.result({ setting: name, value: row.stored.cluster ?? null, effective: row.effective }, () =>
        ctx.out.line(
          row.stored.cluster === undefined
            ? `cluster: ${name} cleared (built-in ${formatSettingValue(name, row.effective)} applies)`
            : `cluster: ${name} = ${formatSettingValue(name, row.stored.cluster)}`,
        ),
      );
    });
}
