/**
 * `strato admin ...`: the administrators of the admin API and WebAdmin, for an operator with
 * storage access (recovery: a forgotten password, a locked-out cluster). add, list, set-password,
 * set-role, enable, disable, remove, and `tokens list|create|revoke`. Every change goes through
 * core/admin-access as a cluster administrator named after the operator ($USER) with via "cli",
 * so it is checked (the last enabled cluster administrator stays) and audited like any other.
 * A password not given is generated and printed once. Bad input exits 2; an unknown name or
 * token, a taken name or a refused change exits 1.
 */
import type { Command } from 'commander';
import {
  type AdminAccess,
  type AdminView,
  cliPrincipal,
  createAdminAccess,
  type Principal,
} from '../../core/admin-access/admin-access.ts';
import { AdminError, InvalidInputError } from '../../core/admin-access/errors.ts';
import { newPassword } from '../../core/admin-access/secrets.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatTime } from '../output.ts';
import * as parse from '../parse.ts';

const ROLES = ['cluster', 'domain'] as const;

type PasswordOpts = parse.PasswordOptions;

/** The admin errors as the CLI's own: bad input exits 2, anything else the operator caused 1. */
async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidInputError) throw new UsageError(`${err.field}: ${err.message}`);
    if (err instanceof AdminError) throw new CliError(err.message);
    throw err;
  }
}

async function access(ctx: CliContext): Promise<{ access: AdminAccess; by: Principal }> {
  const storage = await ctx.storage();
  return {
    access: createAdminAccess({ store: storage.admin, counters: storage.counters, clock: systemClock }),
    by: cliPrincipal(ctx.io.env.SUDO_USER || ctx.io.env.USER || 'operator'),
  };
}

const domainList = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((d) => d.trim())
        .filter((d) => d.length > 0);

const passwordOptions = (cmd: Command): Command =>
  cmd
    .option('--password <password>', 'the password (visible in the process list; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from stdin (one line)');

export function registerAdmin(program: Command, ctx: CliContext): void {
  const admin = program
    .command('admin')
    .description(
      'administrators of the admin API and WebAdmin, their API tokens (recovery with storage access)',
    );
  passwordOptions(
    admin
      .command('add')
      .description('add an administrator (without a password option, one is generated and printed once)')
      .argument('<name>', 'login name: a-z 0-9 . _ @ -')
      .option('--role <role>', `${ROLES.join(' | ')} (default cluster)`)
      .option('--domains <list>', 'comma-separated domains a domain administrator manages'),
  ).action((name: string, opts: PasswordOpts & { role?: string; domains?: string }) => add(ctx, name, opts));
  admin
    .command('list')
    .description('every administrator')
    .action(() => list(ctx));
  passwordOptions(
    admin
      .command('set-password')
      .description(
        "set an administrator's password (generated and printed when none is given); ends its sessions",
      )
      .argument('<name>', 'administrator'),
  ).action((name: string, opts: PasswordOpts) => setPassword(ctx, name, opts));
  admin
    .command('set-role')
    .description('make an administrator a cluster administrator, or a domain administrator of --domains')
    .argument('<name>', 'administrator')
    .argument('<role>', ROLES.join(' | '))
    .option('--domains <list>', 'comma-separated domains (role domain)')
    .action((name: string, role: string, opts: { domains?: string }) => setRole(ctx, name, role, opts));
  for (const [verb, disabled] of [
    ['enable', false],
    ['disable', true],
  ] as const) {
    admin
      .command(verb)
      .description(
        `${verb} an administrator${disabled ? ' (ends its sessions; its tokens stop working)' : ''}`,
      )
      .argument('<name>', 'administrator')
      .action((name: string) => update(ctx, name, { disabled }, `${verb}d`));
  }
  admin
    .command('remove')
    .description('remove an administrator and revoke its API tokens')
    .argument('<name>', 'administrator')
    .action((name: string) => remove(ctx, name));
  registerTokens(admin, ctx);
}

function registerTokens(admin: Command, ctx: CliContext): void {
  const tokens = admin.command('tokens').description('API tokens for scripts');
  tokens
    .command('list')
    .description('every API token (never its secret)')
    .action(() => listTokens(ctx));
  tokens
    .command('create')
    .description(
      'make an API token for an administrator; the token is printed once (Authorization: Bearer <token>)',
    )
    .argument('<name>', 'the administrator the token acts as')
    .requiredOption('--label <text>', 'what the token is for, e.g. "backup script"')
    .action((name: string, opts: { label: string }) => createToken(ctx, name, opts.label));
  tokens
    .command('revoke')
    .description('revoke an API token')
    .argument('<id>', 'the token id, as listed')
    .action((id: string) => revokeToken(ctx, id));
}

async function add(
  ctx: CliContext,
  name: string,
  opts: PasswordOpts & { role?: string; domains?: string },
): Promise<void> {
  const role = opts.role === undefined ? 'cluster' : parse.oneOf(opts.role, ROLES, 'role');
  const given = await parse.password(opts, ctx.io.stdin);
  const password = given ?? newPassword();
  const domains = domainList(opts.domains);
  const { access: a, by } = await access(ctx);
  const view = await run(() => a.createAdmin(by, { name, password, role, ...(domains ? { domains } : {}) }));
  const shown = given === undefined ? { password } : {};
  ctx.out.resultLine(
    { ...view, ...shown },
    `admin ${view.name} added (${describe(view)})${given === undefined ? `; password: ${password}` : ''}`,
  );
}

function describe(v: AdminView): string {
  return v.role === 'cluster' ? 'cluster administrator' : `domain administrator of ${v.domains.join(', ')}`;
}

async function list(ctx: CliContext): Promise<void> {
  const { access: a, by } = await access(ctx);
  const admins = await a.listAdmins(by);
  ctx.out.resultTable(admins, {
    headers: ['NAME', 'ROLE', 'DOMAINS', 'STATE', 'CREATED'],
    rows: admins.map((v) => [
      v.name,
      v.role,
      v.domains.join(',') || '-',
      v.disabled ? 'disabled' : 'enabled',
      formatTime(v.createdAt),
    ]),
    empty: 'no administrators (one is made when the cluster first starts, or: strato admin add <name>)',
  });
}

async function setPassword(ctx: CliContext, name: string, opts: PasswordOpts): Promise<void> {
  const given = await parse.password(opts, ctx.io.stdin);
  const password = given ?? newPassword();
  const { access: a, by } = await access(ctx);
  const view = await run(() => a.updateAdmin(by, name, { password }));
  ctx.out.resultLine(
    { ...view, ...(given === undefined ? { password } : {}) },
    `admin ${view.name}: password set${given === undefined ? `; password: ${password}` : ''}`,
  );
}

async function setRole(
  ctx: CliContext,
  name: string,
  roleInput: string,
  opts: { domains?: string },
): Promise<void> {
  const role = parse.oneOf(roleInput, ROLES, 'role');
  const domains = domainList(opts.domains);
  await update(ctx, name, { role, ...(domains ? { domains } : {}) }, 'changed');
}

async function update(
  ctx: CliContext,
  name: string,
  patch: { role?: 'cluster' | 'domain'; domains?: string[]; disabled?: boolean },
  verb: string,
): Promise<void> {
  const { access: a, by } = await access(ctx);
  const view = await run(() => a.updateAdmin(by, name, patch));
  ctx.out.resultLine(
    view,
    `admin ${view.name} ${verb} (${describe(view)}${view.disabled ? ', disabled' : ''})`,
  );
}

async function remove(ctx: CliContext, name: string): Promise<void> {
  const { access: a, by } = await access(ctx);
  await run(() => a.removeAdmin(by, name));
  ctx.out.resultLine({ name, removed: true }, `admin ${name} removed`);
}

async function listTokens(ctx: CliContext): Promise<void> {
  const { access: a, by } = await access(ctx);
  const tokens = await a.listTokens(by);
  ctx.out.resultTable(tokens, {
    headers: ['ID', 'ADMIN', 'LABEL', 'CREATED', 'LAST USED'],
    rows: tokens.map((t) => [t.id, t.admin, t.label, formatTime(t.createdAt), formatTime(t.lastUsedAt)]),
    empty: 'no API tokens',
  });
}

async function createToken(ctx: CliContext, name: string, label: string): Promise<void> {
  const { access: a, by } = await access(ctx);
  const owner = (await a.listAdmins(by)).find((v) => v.name === name.trim().toLowerCase());
  if (!owner) throw new CliError(`administrator ${name} does not exist (see "strato admin list")`);
  // The token belongs to (and is audited as made by) its administrator, through the CLI.
  const made = await run(() =>
    a.createToken({ name: owner.name, role: owner.role, domains: owner.domains, via: 'cli' }, label),
  );
  ctx.out.resultLine(
    { ...made, admin: owner.name },
    `token ${made.id} for ${owner.name} (shown once): ${made.token}`,
  );
}

async function revokeToken(ctx: CliContext, id: string): Promise<void> {
  const { access: a, by } = await access(ctx);
  await run(() => a.revokeToken(by, id));
  ctx.out.resultLine({ id, revoked: true }, `token ${id} revoked`);
}
