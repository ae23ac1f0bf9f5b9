/**
 * `strato account ...`: add, list, show (stored and effective settings with where each comes
 * from), set-password, set, remove; where and release (account-lease.ts). The work is done by the
 * use cases in core/admin/accounts.ts (passwords hashed with scrypt; `list` pages through the
 * directory's index).
 * Bad addresses, settings, values or password options exit 2 before the data dir is opened;
 * an unknown domain or account, or a name already taken, exits 1.
 */
import type { Command } from 'commander';
import * as accounts from '../../core/admin/accounts.ts';
import { SETTING_LEVELS } from '../../core/directory/effective-settings.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatFields, formatSettingValue, formatTime } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, formatStoredSettings, settingRows, settingRowsJson } from '../settings-view.ts';
import { registerAccountLease } from './account-lease.ts';
import { FORCE_HELP } from './home-backend.ts';

const passwordOptions = (cmd: Command): Command =>
  cmd
    .option('--password <password>', 'the password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin (one line)');

export function registerAccount(program: Command, ctx: CliContext): void {
  const account = program.command('account').description('manage accounts (mailboxes) in local domains');
  accountAdd(account, ctx);
  accountList(account, ctx);
  accountShow(account, ctx);
  accountSetPassword(account, ctx);
  accountSet(account, ctx);
  accountRemove(account, ctx);
  registerAccountLease(account, ctx);
}

type AddOptions = parse.PasswordOptions & { realName?: string };

function accountAdd(group: Command, ctx: CliContext): void {
  passwordOptions(
    group
      .command('add')
      .description('add an account to an existing domain (without a password it cannot authenticate)')
      .argument('<address>', 'full address, e.g. alice@example.com'),
  )
    .option('--real-name <name>', 'the account owner\'s name, e.g. "Alice Liddell"')
    .action((input: string, opts: AddOptions) => addAccount(ctx, input, opts));
}

async function addAccount(ctx: CliContext, input: string, opts: AddOptions): Promise<void> {
  const address = parse.address(input);
  const password = await parse.password(opts, ctx.io.stdin);
  const storage = await ctx.storage();
  const view = await accounts.addAccount(storage, {
    address,
    ...(password !== undefined ? { password } : {}),
    ...(opts.realName !== undefined ? { realName: opts.realName } : {}),
  });
  ctx.out.resultLine(
    view,
    `account ${address} added${password === undefined ? ' (no password: cannot authenticate)' : ''}`,
  );
}

function accountList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list the accounts of a domain')
    .argument('<domain>', 'domain name')
    .action((input: string) => listAccounts(ctx, input));
}

async function listAccounts(ctx: CliContext, input: string): Promise<void> {
  const domain = parse.domain(input);
  const storage = await ctx.storage();
  // Page by page through the directory's index: every account, in address order.
  const list: accounts.AccountView[] = [];
  let cursor: string | undefined;
  do {
    const page = await accounts.listAccounts(storage, {
      domain,
      limit: accounts.ACCOUNT_PAGE_MAX,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    list.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  ctx.out.resultTable(list, {
    headers: ['ADDRESS', 'REAL NAME', 'PASSWORD', 'SETTINGS', 'CREATED'],
    rows: list.map((a) => [
      a.address,
      a.realName ?? '-',
      a.hasPassword ? 'set' : 'none',
      formatStoredSettings(a.settings),
      formatTime(a.createdAt),
    ]),
    empty: `no accounts in ${domain}`,
  });
}

function accountShow(group: Command, ctx: CliContext): void {
  group
    .command('show')
    .description('show an account with its stored and effective settings and where each value comes from')
    .argument('<address>', 'account address')
    .action((input: string) => showAccount(ctx, input));
}

async function showAccount(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input);
  const storage = await ctx.storage();
  const { aliases: names, effective, ...record } = await accounts.getAccount(storage, { address });
  const rows = settingRows(effective, SETTING_LEVELS);
  ctx.out.result({ ...record, aliases: names, settings: settingRowsJson(rows) }, () => {
    ctx.out.line(
      formatFields([
        ['Account', record.address],
        ['Real name', record.realName ?? '-'],
        ['Password', record.hasPassword ? 'set' : 'none (cannot authenticate)'],
        ['Aliases', names.length > 0 ? names.join(', ') : '-'],
        ['Created', formatTime(record.createdAt)],
      ]),
    );
    ctx.out.line();
    ctx.out.line(
      'Settings (effective value = first level that sets it: account, domain, cluster, built-in):',
    );
    ctx.out.line(formatSettingRows(rows, ['account', 'domain', 'cluster']));
  });
}

function accountSetPassword(group: Command, ctx: CliContext): void {
  passwordOptions(
    group
      .command('set-password')
      .description("set or replace an account's password")
      .argument('<address>', 'account address'),
  ).action((input: string, opts: parse.PasswordOptions) => setPassword(ctx, input, opts));
}

async function setPassword(ctx: CliContext, input: string, opts: parse.PasswordOptions): Promise<void> {
  const address = parse.address(input);
  const password = await parse.password(opts, ctx.io.stdin);
  if (password === undefined)
    throw new UsageError('give the new password with --password or --password-stdin');
  const storage = await ctx.storage();
  await accounts.setAccountPassword(storage, { address, password });
  ctx.out.resultLine({ account: address, passwordSet: true }, `password of ${address} set`);
}

function accountSet(group: Command, ctx: CliContext): void {
  group
    .command('set')
    .description('set one of an account\'s settings; "default" clears it so it is inherited again')
    .argument('<address>', 'account address')
    .argument('<setting>', parse.settingNamesHelp())
    .argument(
      '<value>',
      'e.g. true, 10M, 512K, unlimited, 100/3600, 100/1h, backend-2, a@x.example,@y.example, none, default',
    )
    .option('--force', FORCE_HELP)
    .action((input: string, settingInput: string, value: string, opts: { force?: boolean }) =>
      setAccountSetting(ctx, input, settingInput, value, opts.force === true),
    );
}

async function setAccountSetting(
  ctx: CliContext,
  input: string,
  settingInput: string,
  value: string,
  force: boolean,
): Promise<void> {
  const address = parse.address(input);
  const { name, patch } = parse.setting(settingInput, value);
  const storage = await ctx.storage();
  const after = await accounts.updateAccountSettings(storage, {
    address,
    settings: { [name]: value },
    force,
  });
  const { settings, sources } = after.effective;
  const effective = `${formatSettingValue(name, settings[name])} (from ${sources[name]})`;
  ctx.out.resultLine(
    {
      account: address,
      setting: name,
      value: after.settings[name] ?? null,
      effective: settings[name],
      from: sources[name],
    },
    patch[name] === undefined
      ? `${address}: ${name} cleared; effective ${effective}`
      : `${address}: ${name} = ${formatSettingValue(name, after.settings[name])}`,
  );
}

function accountRemove(group: Command, ctx: CliContext): void {
  group
    .command('remove')
    .description('remove an account and the aliases that name it (stored mailbox data is kept)')
    .argument('<address>', 'account address')
    .action((input: string) => removeAccount(ctx, input));
}

async function removeAccount(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input);
  const storage = await ctx.storage();
  // Its aliases and its rule set go too: a new account of that name must not inherit them.
  const { removedAliases } = await accounts.removeAccount(storage, { address });
  ctx.out.resultLine(
    { account: address, removed: true, removedAliases },
    `account ${address} removed${removedAliases.length > 0 ? ` with its aliases ${removedAliases.join(', ')}` : ''}`,
  );
}
