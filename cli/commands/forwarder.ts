/**
 * `strato forwarder ...`: add, remove, list. A forwarder re-routes all mail for a name in a local
 * domain to another address, local or external. Bad addresses exit 2; an unknown domain, a name
 * already taken by an account, alias or forwarder, or removing a forwarder that does not exist,
 * exits 1.
 */
import type { Command } from 'commander';
import * as forwarders from '../../core/admin/forwarders.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import * as parse from '../parse.ts';

export function registerForwarder(program: Command, ctx: CliContext): void {
  const forwarder = program
    .command('forwarder')
    .description('manage forwarders: names whose mail is re-routed to another address');
  forwarderAdd(forwarder, ctx);
  forwarderRemove(forwarder, ctx);
  forwarderList(forwarder, ctx);
}

function forwarderAdd(group: Command, ctx: CliContext): void {
  group
    .command('add')
    .description('add a forwarder')
    .argument('<address>', 'the name in a local domain, e.g. sales@example.com')
    .argument('<target>', 'where its mail goes, local or external, e.g. bob@example.org')
    .action((addressInput: string, targetInput: string) => addForwarder(ctx, addressInput, targetInput));
}

async function addForwarder(ctx: CliContext, addressInput: string, targetInput: string): Promise<void> {
  const address = parse.address(addressInput);
  const target = parse.address(targetInput, 'target address');
  if (address === target) throw new UsageError(`forwarder ${address} cannot forward to itself`);
  const storage = await ctx.storage();
  await forwarders.addForwarder(storage, { address, target });
  ctx.out.resultLine({ address, target }, `forwarder ${address} -> ${target} added`);
}

function forwarderRemove(group: Command, ctx: CliContext): void {
  group
    .command('remove')
    .description('remove a forwarder')
    .argument('<address>', 'forwarder address')
    .action((input: string) => removeForwarder(ctx, input));
}

async function removeForwarder(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input);
  const storage = await ctx.storage();
  await forwarders.removeForwarder(storage, { address });
  ctx.out.resultLine({ address, removed: true }, `forwarder ${address} removed`);
}

function forwarderList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list the forwarders of a domain')
    .argument('<domain>', 'domain name')
    .action((input: string) => listForwarders(ctx, input));
}

async function listForwarders(ctx: CliContext, input: string): Promise<void> {
  const domain = parse.domain(input);
  const storage = await ctx.storage();
  const list = await forwarders.listForwarders(storage, { domain });
  ctx.out.resultTable(list, {
    headers: ['FORWARDER', 'TARGET'],
    rows: list.map((f) => [f.address, f.target]),
    empty: `no forwarders in ${domain}`,
  });
}
