/**
 * `strato domain ...`: add, list, show, set (domain defaults, mail-to-unknown and postmaster), remove.
 * Input is validated before the data dir is opened (exit 2 on bad names, settings or values);
 * an unknown domain, a duplicate, or removing a non-empty domain without --force exits 1 with
 * the directory's message.
 */
import type { Command } from 'commander';
import * as domains from '../../core/admin/domains.ts';
import type { EffectiveSettings } from '../../core/directory/effective-settings.ts';
import type { CliContext } from '../context.ts';
import { formatFields, formatMailToUnknown, formatSettingValue, formatTime } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, formatStoredSettings, settingRows, settingRowsJson } from '../settings-view.ts';
import { FORCE_HELP } from './home-backend.ts';

export function registerDomain(program: Command, ctx: CliContext): void {
  const domain = program
    .command('domain')
    .description('manage local domains: their accounts live under them, and their defaults apply to them');
  domainAdd(domain, ctx);
  domainList(domain, ctx);
  domainShow(domain, ctx);
  domainSet(domain, ctx);
  domainRemove(domain, ctx);
}

function domainAdd(group: Command, ctx: CliContext): void {
  group
    .command('add')
    .description('add a local domain')
    .argument('<name>', 'domain name, e.g. example.com')
    .option(
      '--mail-to-unknown <policy>',
      `what to do with mail for unknown names: ${parse.MAIL_TO_UNKNOWN_FORMS}`,
      'reject',
    )
    .option(
      '--postmaster <address>',
      'where postmaster@<name> goes when there is no such name (default: STRATO_POSTMASTER)',
    )
    .action((nameInput: string, opts: AddOptions) => addDomain(ctx, nameInput, opts));
}

interface AddOptions {
  readonly mailToUnknown: string;
  readonly postmaster?: string;
}

async function addDomain(ctx: CliContext, nameInput: string, opts: AddOptions): Promise<void> {
  const name = parse.domain(nameInput);
  const mailToUnknown = parse.mailToUnknown(opts.mailToUnknown);
  const postmaster = opts.postmaster !== undefined ? parse.address(opts.postmaster) : undefined;
  const storage = await ctx.storage();
  const record = await domains.addDomain(storage, {
    name,
    mailToUnknown,
    ...(postmaster ? { postmaster } : {}),
  });
  ctx.out.resultLine(
    record,
    `domain ${name} added (mail to unknown names: ${formatMailToUnknown(mailToUnknown)})`,
  );
}

function domainList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list local domains')
    .action(() => listDomains(ctx));
}

async function listDomains(ctx: CliContext): Promise<void> {
  const storage = await ctx.storage();
  const list = await domains.listDomains(storage);
  ctx.out.resultTable(list, {
    headers: ['DOMAIN', 'MAIL-TO-UNKNOWN', 'DEFAULTS', 'CREATED'],
    rows: list.map((d) => [
      d.name,
      formatMailToUnknown(d.mailToUnknown),
      formatStoredSettings(d.defaults),
      formatTime(d.createdAt),
    ]),
    empty: 'no domains',
  });
}

function domainShow(group: Command, ctx: CliContext): void {
  group
    .command('show')
    .description('show a domain: policy, number of names, and its defaults against the cluster defaults')
    .argument('<name>', 'domain name')
    .action((nameInput: string) => showDomain(ctx, nameInput));
}

async function showDomain(ctx: CliContext, nameInput: string): Promise<void> {
  const name = parse.domain(nameInput);
  const storage = await ctx.storage();
  const { accounts, aliases, forwarders, effective, ...record } = await domains.getDomain(storage, { name });
  const rows = domainSettingRows(effective);
  const counts = { accounts, aliases, forwarders };
  ctx.out.result({ ...record, ...counts, settings: settingRowsJson(rows) }, () => {
    ctx.out.line(
      formatFields([
        ['Domain', record.name],
        ['Mail to unknown', formatMailToUnknown(record.mailToUnknown)],
        ['Postmaster', record.postmaster ?? "(the cluster's: STRATO_POSTMASTER)"],
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
}

/** The domain's defaults over the cluster's: what its accounts inherit. */
function domainSettingRows(effective: EffectiveSettings) {
  return settingRows(effective, ['domain', 'cluster']);
}

function domainSet(group: Command, ctx: CliContext): void {
  group
    .command('set')
    .description(
      'set a default for the domain\'s accounts, its mail-to-unknown policy or its postmaster ("default" clears)',
    )
    .argument('<name>', 'domain name')
    .argument('<setting>', parse.settingNamesHelp('mail-to-unknown', 'postmaster'))
    .argument(
      '<value>',
      'e.g. 10M, unlimited, 100/1h, true, backend-2, a@x.example,@y.example, none, default; for mail-to-unknown: a policy; for postmaster: an address',
    )
    .option('--force', FORCE_HELP)
    .action((nameInput: string, settingInput: string, value: string, opts: { force?: boolean }) => {
      const name = parse.domain(nameInput);
      if (parse.isMailToUnknownName(settingInput)) return setMailToUnknown(ctx, name, value);
      if (settingInput.toLowerCase() === 'postmaster') return setPostmaster(ctx, name, value);
      return setDomainDefault(ctx, name, settingInput, value, opts.force === true);
    });
}

async function setMailToUnknown(ctx: CliContext, name: string, value: string): Promise<void> {
  const mailToUnknown = parse.mailToUnknown(value);
  const storage = await ctx.storage();
  await domains.updateDomain(storage, { name, mailToUnknown });
  ctx.out.resultLine(
    { domain: name, mailToUnknown },
    `domain ${name}: mail to unknown names: ${formatMailToUnknown(mailToUnknown)}`,
  );
}

/** The domain's postmaster target: an address, or "default" (the cluster's, STRATO_POSTMASTER). */
async function setPostmaster(ctx: CliContext, name: string, value: string): Promise<void> {
  const postmaster = value.trim().toLowerCase() === 'default' ? null : parse.address(value);
  const storage = await ctx.storage();
  await domains.updateDomain(storage, { name, postmaster });
  ctx.out.resultLine(
    { domain: name, postmaster },
    postmaster
      ? `domain ${name}: postmaster@${name} goes to ${postmaster} when there is no such name`
      : `domain ${name}: postmaster cleared (STRATO_POSTMASTER applies)`,
  );
}

async function setDomainDefault(
  ctx: CliContext,
  name: string,
  settingInput: string,
  value: string,
  force: boolean,
): Promise<void> {
  const { name: setting, patch } = parse.setting(settingInput, value);
  const storage = await ctx.storage();
  const after = await domains.updateDomain(storage, { name, defaults: { [setting]: value }, force });
  const row = domainSettingRows(after.effective).find((r) => r.name === setting)!;
  ctx.out.resultLine(
    { domain: name, setting, value: after.defaults[setting] ?? null, effective: row.effective },
    patch[setting] === undefined && setting in patch
      ? `domain ${name}: ${setting} cleared (accounts now inherit from ${row.source})`
      : `domain ${name}: ${setting} = ${formatSettingValue(setting, after.defaults[setting])}`,
  );
}

function domainRemove(group: Command, ctx: CliContext): void {
  group
    .command('remove')
    .description('remove a domain (refused while it has accounts, aliases or forwarders, unless --force)')
    .argument('<name>', 'domain name')
    .option('--force', 'also remove every account, alias and forwarder in the domain')
    .action((nameInput: string, opts: { force?: boolean }) =>
      removeDomain(ctx, nameInput, opts.force === true),
    );
}

async function removeDomain(ctx: CliContext, nameInput: string, force: boolean): Promise<void> {
  const name = parse.domain(nameInput);
  const storage = await ctx.storage();
  // Its rule sets (and, with --force, its accounts') go too.
  await domains.removeDomain(storage, { name, force });
  ctx.out.resultLine({ domain: name, removed: true }, `domain ${name} removed`);
}
