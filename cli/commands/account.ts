/**
 * `strato account ...`: add, list, show (stored and effective settings with where each comes
 * from), set-password, set, remove; where and release (account-lease.ts). Passwords are hashed with core/auth/password.ts (scrypt).
 * Bad addresses, settings, values or password options exit 2 before the data dir is opened;
 * an unknown domain or account, or a name already taken, exits 1.
 */
import type { Command } from 'commander';
import { hashPassword } from '../../core/auth/password.ts';
import { effectiveSettings, SETTING_LEVELS } from '../../core/directory/effective-settings.ts';
import { NotFoundError } from '../../core/directory/errors.ts';
import { domainOf } from '../../core/mail/address.ts';
import type { AccountRecord } from '../../core/ports/directory.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatFields, formatSettingValue, formatTime } from '../output.ts';
import * as parse from '../parse.ts';
import { formatSettingRows, formatStoredSettings, settingRows, settingRowsJson } from '../settings-view.ts';
import { registerAccountLease } from './account-lease.ts';
import { checkHomeBackend, FORCE_HELP } from './home-backend.ts';
import { requireAccount, requireDomain } from './lookups.ts';

/** The account as printed with --json: never the hash, only whether there is one. */
function publicAccount(a: AccountRecord) {
  const { passwordHash, ...rest } = a;
  return { ...rest, hasPassword: passwordHash !== undefined };
}

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
  const domain = domainOf(address);
  await requireDomain(storage, domain);
  const record: AccountRecord = {
    address,
    domain,
    name: address.slice(0, address.length - domain.length - 1),
    ...(opts.realName !== undefined ? { realName: opts.realName } : {}),
    ...(password !== undefined ? { passwordHash: await hashPassword(password) } : {}),
    settings: {},
    createdAt: Date.now(),
  };
  await storage.directory.addAccount(record);
  ctx.out.resultLine(
    publicAccount(record),
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
  await requireDomain(storage, domain);
  const accounts = await storage.directory.listAccounts(domain);
  accounts.sort((a, b) => a.address.localeCompare(b.address));
  ctx.out.resultTable(accounts.map(publicAccount), {
    headers: ['ADDRESS', 'REAL NAME', 'PASSWORD', 'SETTINGS', 'CREATED'],
    rows: accounts.map((a) => [
      a.address,
      a.realName ?? '-',
      a.passwordHash ? 'set' : 'none',
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
  const record = await requireAccount(storage, address);
  const [effective, aliases] = await Promise.all([
    effectiveSettings(storage.directory, record),
    storage.directory.listAliases(record.domain),
  ]);
  const rows = settingRows(effective, SETTING_LEVELS);
  const names = aliases.filter((a) => a.account === address).map((a) => a.address);
  ctx.out.result({ ...publicAccount(record), aliases: names, settings: settingRowsJson(rows) }, () => {
    ctx.out.line(
      formatFields([
        ['Account', record.address],
        ['Real name', record.realName ?? '-'],
        ['Password', record.passwordHash ? 'set' : 'none (cannot authenticate)'],
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
  await requireAccount(storage, address);
  await storage.directory.setPasswordHash(address, await hashPassword(password));
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
  await requireAccount(storage, address);
  await checkHomeBackend(storage, patch, force);
  await storage.directory.updateAccountSettings(address, patch);
  const after = await requireAccount(storage, address);
  const { settings, sources } = await effectiveSettings(storage.directory, after);
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
  const record = await requireAccount(storage, address);
  const aliases = (await storage.directory.listAliases(record.domain)).filter((a) => a.account === address);
  await storage.directory.removeAccount(address);
  // Aliases name an account; they go with it (the adapter may already have removed them).
  for (const alias of aliases) {
    await storage.directory.removeAlias(alias.address).catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }
  // Its rule set goes too: a new account of that name must not inherit it.
  await storage.rules.set({ kind: 'account', address }, []);
  const removedAliases = aliases.map((a) => a.address);
  ctx.out.resultLine(
    { account: address, removed: true, removedAliases },
    `account ${address} removed${removedAliases.length > 0 ? ` with its aliases ${removedAliases.join(', ')}` : ''}`,
  );
}
