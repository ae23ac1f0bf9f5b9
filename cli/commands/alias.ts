/**
 * `strato alias ...`: add, remove, list. An alias is another name (in a local domain) for an
 * existing account. Bad addresses exit 2; an unknown domain or account, an alias name already
 * taken by an account, alias or forwarder, or removing an alias that does not exist, exits 1.
 */
import type { Command } from 'commander';
import { domainOf } from '../../core/mail/address.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatTable } from '../output.ts';
import * as parse from '../parse.ts';
import { requireAccount } from './account.ts';
import { requireDomain } from './domain.ts';

export function registerAlias(program: Command, ctx: CliContext): void {
  const alias = program
    .command('alias')
    .description('manage aliases: extra names that deliver to an account');

  alias
    .command('add')
    .description('add an alias for an existing account')
    .argument('<alias>', 'the new name, e.g. info@example.com (its domain must be local)')
    .argument('<account>', 'the account it names, e.g. alice@example.com')
    .action(async (aliasInput: string, accountInput: string) => {
      const address = parse.address(aliasInput, 'alias');
      const account = parse.address(accountInput, 'account address');
      const storage = await ctx.storage();
      await requireDomain(storage, domainOf(address));
      await requireAccount(storage, account);
      await storage.directory.addAlias({ address, account });
      ctx.out.result({ address, account }, () => ctx.out.line(`alias ${address} -> ${account} added`));
    });

  alias
    .command('remove')
    .description('remove an alias')
    .argument('<alias>', 'alias address')
    .action(async (input: string) => {
      const address = parse.address(input, 'alias');
      const storage = await ctx.storage();
      const entry = await storage.directory.lookupName(address);
      if (entry?.kind !== 'alias') {
        throw new CliError(
          `alias ${address} does not exist${entry ? ` (it is ${article(entry.kind)})` : ''}`,
        );
      }
      await storage.directory.removeAlias(address);
      ctx.out.result({ address, removed: true }, () => ctx.out.line(`alias ${address} removed`));
    });

  alias
    .command('list')
    .description('list the aliases of a domain')
    .argument('<domain>', 'domain name')
    .action(async (input: string) => {
      const domain = parse.domain(input);
      const storage = await ctx.storage();
      await requireDomain(storage, domain);
      const aliases = await storage.directory.listAliases(domain);
      aliases.sort((a, b) => a.address.localeCompare(b.address));
      ctx.out.result(aliases, () => {
        if (aliases.length === 0) return ctx.out.line(`no aliases in ${domain}`);
        ctx.out.line(
          formatTable(
            ['ALIAS', 'ACCOUNT'],
            aliases.map((a) => [a.address, a.account]),
          ),
        );
      });
    });
}

export function article(kind: 'account' | 'alias' | 'forwarder'): string {
  return kind === 'account' ? 'an account' : kind === 'alias' ? 'an alias' : 'a forwarder';
}
