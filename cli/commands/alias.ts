/**
 * `strato alias ...`: add, remove, list. An alias is another name (in a local domain) for an
 * existing account. Bad addresses exit 2; an unknown domain or account, an alias name already
 * taken by an account, alias or forwarder, or removing an alias that does not exist, exits 1.
 */
import type { Command } from 'commander';
import * as aliases from '../../core/admin/aliases.ts';
import type { CliContext } from '../context.ts';
import * as parse from '../parse.ts';

export function registerAlias(program: Command, ctx: CliContext): void {
  const alias = program
    .command('alias')
    .description('manage aliases: extra names that deliver to an account');
  aliasAdd(alias, ctx);
  aliasRemove(alias, ctx);
  aliasList(alias, ctx);
}

function aliasAdd(group: Command, ctx: CliContext): void {
  group
    .command('add')
    .description('add an alias for an existing account')
    .argument('<alias>', 'the new name, e.g. info@example.com (its domain must be local)')
    .argument('<account>', 'the account it names, e.g. alice@example.com')
    .action((aliasInput: string, accountInput: string) => addAlias(ctx, aliasInput, accountInput));
}

async function addAlias(ctx: CliContext, aliasInput: string, accountInput: string): Promise<void> {
  const address = parse.address(aliasInput, 'alias');
  const account = parse.address(accountInput, 'account address');
  const storage = await ctx.storage();
  await aliases.addAlias(storage, { address, account });
  ctx.out.resultLine({ address, account }, `alias ${address} -> ${account} added`);
}

function aliasRemove(group: Command, ctx: CliContext): void {
  group
    .command('remove')
    .description('remove an alias')
    .argument('<alias>', 'alias address')
    .action((input: string) => removeAlias(ctx, input));
}

async function removeAlias(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input, 'alias');
  const storage = await ctx.storage();
  await aliases.removeAlias(storage, { address });
  ctx.out.resultLine({ address, removed: true }, `alias ${address} removed`);
}

function aliasList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list the aliases of a domain')
    .argument('<domain>', 'domain name')
    .action((input: string) => listAliases(ctx, input));
}

async function listAliases(ctx: CliContext, input: string): Promise<void> {
  const domain = parse.domain(input);
  const storage = await ctx.storage();
  const list = await aliases.listAliases(storage, { domain });
  ctx.out.resultTable(list, {
    headers: ['ALIAS', 'ACCOUNT'],
    rows: list.map((a) => [a.address, a.account]),
    empty: `no aliases in ${domain}`,
  });
}
