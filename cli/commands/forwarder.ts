/**
 * `strato forwarder ...`: add, remove, list. A forwarder re-routes all mail for a name in a local
 * domain to another address, local or external. Bad addresses exit 2; an unknown domain, a name
 * already taken by an account, alias or forwarder, or removing a forwarder that does not exist,
 * exits 1.
 */
import type { Command } from 'commander';
import { domainOf } from '../../core/mail/address.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatTable } from '../output.ts';
import * as parse from '../parse.ts';
import { article } from './alias.ts';
import { requireDomain } from './domain.ts';

export function registerForwarder(program: Command, ctx: CliContext): void {
  const forwarder = program
    .command('forwarder')
    .description('manage forwarders: names whose mail is re-routed to another address');

  forwarder
    .command('add')
    .description('add a forwarder')
    .argument('<address>', 'the name in a local domain, e.g. sales@example.com')
    .argument('<target>', 'where its mail goes, local or external, e.g. bob@example.org')
    .action(async (addressInput: string, targetInput: string) => {
      const address = parse.address(addressInput);
      const target = parse.address(targetInput, 'target address');
      if (address === target) throw new UsageError(`forwarder ${address} cannot forward to itself`);
      const storage = await ctx.storage();
      await requireDomain(storage, domainOf(address));
      await storage.directory.addForwarder({ address, target });
      ctx.out.result({ address, target }, () => ctx.out.line(`forwarder ${address} -> ${target} added`));
    });

  forwarder
    .command('remove')
    .description('remove a forwarder')
    .argument('<address>', 'forwarder address')
    .action(async (input: string) => {
      const address = parse.address(input);
      const storage = await ctx.storage();
      const entry = await storage.directory.lookupName(address);
      if (entry?.kind !== 'forwarder') {
        throw new CliError(
          `forwarder ${address} does not exist${entry ? ` (it is ${article(entry.kind)})` : ''}`,
        );
      }
      await storage.directory.removeForwarder(address);
      ctx.out.result({ address, removed: true }, () => ctx.out.line(`forwarder ${address} removed`));
    });

  forwarder
    .command('list')
    .description('list the forwarders of a domain')
    .argument('<domain>', 'domain name')
    .action(async (input: string) => {
      const domain = parse.domain(input);
      const storage = await ctx.storage();
      await requireDomain(storage, domain);
      const forwarders = await storage.directory.listForwarders(domain);
      forwarders.sort((a, b) => a.address.localeCompare(b.address));
      ctx.out.result(forwarders, () => {
        if (forwarders.length === 0) return ctx.out.line(`no forwarders in ${domain}`);
        ctx.out.line(
          formatTable(
            ['FORWARDER', 'TARGET'],
            forwarders.map((f) => [f.address, f.target]),
          ),
        );
      });
    });
}
