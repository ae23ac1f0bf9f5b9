/**
 * `strato domain ...`: add, list, show, set (domain defaults and mail-to-unknown), remove.
 * Input is validated before the data dir is opened (exit 2 on bad names, settings or values);
 * an unknown domain, a duplicate, or removing a non-empty domain without --force exits 1 with
 * the directory's message.
 */
import type { Command } from 'commander';
import { settingsFromLevels } from '../../core/directory/effective-settings.ts';
import type { DomainRecord } from '../../core/ports/directory.ts';
import type { Storage } from '../../core/ports/storage.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatFields, formatMailToUnknown, formatSettingValue, formatTable, formatTime } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, formatStoredSettings, settingRows, settingRowsJson } from '../settings-view.ts';

export async function requireDomain(storage: Storage, name: string): Promise<DomainRecord> {
  const record = await storage.directory.getDomain(name);
  if (!record) throw new CliError(`domain ${name} does not exist`);
  return record;
}

export function registerDomain(program: Command, ctx: CliContext): void {
  const domain = program
    .command('domain')
    .description('manage local domains: their accounts live under them, and their defaults apply to them');

  domain
    .command('add')
    .description('add a local domain')
    .argument('<name>', 'domain name, e.g. example.com')
    .option(
      '--mail-to-unknown <policy>',
      `what to do with mail for unknown names: ${parse.MAIL_TO_UNKNOWN_FORMS}`,
      'reject',
    )
    .action(async (nameInput: string, opts: { mailToUnknown: string }) => {
      const name = parse.domain(nameInput);
      const mailToUnknown = parse.mailToUnknown(opts.mailToUnknown);
      const storage = await ctx.storage();
      const record: DomainRecord = { name, mailToUnknown, defaults: {}, createdAt: Date.now() };
      await storage.directory.addDomain(record);
      ctx.out.result(record, () =>
        ctx.out.line(`domain ${name} added (mail to unknown names: ${formatMailToUnknown(mailToUnknown)})`),
      );
    });

  domain
    .command('list')
    .description('list local domains')
    .action(async () => {
      const storage = await ctx.storage();
      const domains = await storage.directory.listDomains();
      domains.sort((a, b) => a.name.localeCompare(b.name));
      ctx.out.result(domains, () => {
        if (domains.length === 0) return ctx.out.line('no domains');
        ctx.out.line(
          formatTable(
            ['DOMAIN', 'MAIL-TO-UNKNOWN', 'DEFAULTS', 'CREATED'],
            domains.map((d) => [
              d.name,
              formatMailToUnknown(d.mailToUnknown),
              formatStoredSettings(d.defaults),
              formatTime(d.createdAt),
            ]),
          ),
        );
      });
    });

  domain
    .command('show')
    .description('show a domain: policy, number of names, and its defaults against the cluster defaults')
    .argument('<name>', 'domain name')
    .action(async (nameInput: string) => {
      const name = parse.domain(nameInput);
      const storage = await ctx.storage();
      const record = await requireDomain(storage, name);
      const [accounts, aliases, forwarders, cluster] = await Promise.all([
        storage.directory.listAccounts(name),
        storage.directory.listAliases(name),
        storage.directory.listForwarders(name),
        storage.directory.getClusterSettings(),
      ]);
      const rows = settingRows(settingsFromLevels({ domain: record.defaults, cluster }), [
        'domain',
        'cluster',
      ]);
      const counts = { accounts: accounts.length, aliases: aliases.length, forwarders: forwarders.length };
      ctx.out.result({ ...record, ...counts, settings: settingRowsJson(rows) }, () => {
        ctx.out.line(
          formatFields([
            ['Domain', record.name],
            ['Mail to unknown', formatMailToUnknown(record.mailToUnknown)],
            ['Created', formatTime(record.createdAt)],
            ['Accounts', String(counts.accounts)],
            ['Aliases', String(counts.aliases)],
            ['Forwarders', String(counts.forwarders)],
          ]),
        );
        ctx.out.line();
        ctx.out.line('Defaults for its accounts (an account setting overrides them):');
        ctx.out.line(formatSettingRows(rows, ['domain', 'cluster']));
      });
    });

  domain
    .command('set')
    .description('set a default for the domain\'s accounts, or its mail-to-unknown policy ("default" clears)')
    .argument('<name>', 'domain name')
    .argument(
      '<setting>',
      'Enabled, MaxAccountSize, MaxMessageSize, MaxMailOutSize, MailOutFlow, MailInpFlow, DisabledRetry, FullRetry or mail-to-unknown',
    )
    .argument('<value>', 'e.g. 10M, unlimited, 100/1h, true, default; for mail-to-unknown: a policy')
    .action(async (nameInput: string, settingInput: string, value: string) => {
      const name = parse.domain(nameInput);
      if (parse.isMailToUnknownName(settingInput)) {
        const mailToUnknown = parse.mailToUnknown(value);
        const storage = await ctx.storage();
        await requireDomain(storage, name);
        await storage.directory.updateDomain(name, { mailToUnknown });
        ctx.out.result({ domain: name, mailToUnknown }, () =>
          ctx.out.line(`domain ${name}: mail to unknown names: ${formatMailToUnknown(mailToUnknown)}`),
        );
        return;
      }
      const { name: setting, patch } = parse.setting(settingInput, value);
      const storage = await ctx.storage();
      const record = await requireDomain(storage, name);
      // The full defaults with the cleared key present as undefined: correct whether the adapter
      // replaces the defaults or merges the patch with "undefined clears".
      const defaults: PartialSettings = { ...record.defaults, ...patch };
      await storage.directory.updateDomain(name, { defaults });
      const after = await requireDomain(storage, name);
      const cluster = await storage.directory.getClusterSettings();
      const row = settingRows(settingsFromLevels({ domain: after.defaults, cluster }), [
        'domain',
        'cluster',
      ]).find((r) => r.name === setting)!;
      ctx.out.result(
        { domain: name, setting, value: after.defaults[setting] ?? null, effective: row.effective },
        () =>
          ctx.out.line(
            patch[setting] === undefined && setting in patch
              ? `domain ${name}: ${setting} cleared (accounts now inherit from ${row.source})`
              : `domain ${name}: ${setting} = ${formatSettingValue(setting, after.defaults[setting])}`,
          ),
      );
    });

  domain
    .command('remove')
    .description('remove a domain (refused while it has accounts, aliases or forwarders, unless --force)')
    .argument('<name>', 'domain name')
    .option('--force', 'also remove every account, alias and forwarder in the domain')
    .action(async (nameInput: string, opts: { force?: boolean }) => {
      const name = parse.domain(nameInput);
      const storage = await ctx.storage();
      await requireDomain(storage, name);
      const accounts = opts.force ? await storage.directory.listAccounts(name) : [];
      await storage.directory.removeDomain(name, { force: opts.force === true });
      // Its rule sets (and, with --force, its accounts') go too.
      await storage.rules.set({ kind: 'domain', name }, []);
      for (const a of accounts) await storage.rules.set({ kind: 'account', address: a.address }, []);
      ctx.out.result({ domain: name, removed: true }, () => ctx.out.line(`domain ${name} removed`));
    });
}
