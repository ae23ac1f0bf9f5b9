/**
 * `strato suppression list|add|remove`: external addresses SES reported as bounced (permanent) or
 * complaining (core/ports/suppressions.ts). The SES event consumer adds them; the intake refuses
 * them at RCPT to authenticated senders (`550 5.1.1 … suppressed after a bounce (SES)`). `add`
 * suppresses an address by hand; `remove` lets mail to it go out again (after the owner fixed
 * the mailbox or asked to be mailed again). A bad address exits 2, removing an address that is
 * not suppressed exits 1; nothing is changed then.
 */
import type { Command } from 'commander';
import { NotFoundAdminError } from '../../core/admin/errors.ts';
import * as suppressions from '../../core/admin/suppressions.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatTime } from '../output.ts';
import * as parse from '../parse.ts';

const REASONS = suppressions.SUPPRESSION_REASONS;

export function registerSuppression(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('suppression')
    .description('addresses SES reported as bounced or complaining: refused at RCPT to local senders');
  cmd
    .command('list')
    .description('every suppressed address, sorted')
    .action(() => list(ctx));
  cmd
    .command('add')
    .description('suppress an address by hand')
    .argument('<address>', 'the external address')
    .option('--reason <reason>', `${REASONS.join(' | ')} (default bounce)`)
    .option('--detail <text>', 'a note shown by list')
    .action((address: string, opts: { reason?: string; detail?: string }) => add(ctx, address, opts));
  cmd
    .command('remove')
    .description('let mail to the address go out again')
    .argument('<address>', 'as listed')
    .action((address: string) => remove(ctx, address));
}

async function list(ctx: CliContext): Promise<void> {
  const all = await suppressions.listSuppressions(await ctx.storage());
  ctx.out.resultTable(all, {
    headers: ['ADDRESS', 'REASON', 'SINCE', 'DETAIL'],
    rows: all.map((s) => [s.address, s.reason, formatTime(s.at), s.detail ?? '']),
    empty: 'no suppressed addresses',
  });
}

async function add(
  ctx: CliContext,
  input: string,
  opts: { reason?: string; detail?: string },
): Promise<void> {
  const address = parse.address(input);
  const reason = opts.reason === undefined ? 'bounce' : parse.oneOf(opts.reason, REASONS, 'reason');
  const record = await suppressions.addSuppression(await ctx.storage(), {
    address,
    reason,
    ...(opts.detail !== undefined ? { detail: opts.detail } : {}),
  });
  ctx.out.resultLine(record, `suppression: ${address} suppressed (${reason})`);
}

async function remove(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input);
  await suppressions.removeSuppression(await ctx.storage(), { address }).catch((err: unknown) => {
    if (err instanceof NotFoundAdminError) {
      throw new CliError(`${address} is not suppressed (see "strato suppression list")`);
    }
    throw err;
  });
  ctx.out.resultLine({ address, removed: true }, `suppression: ${address} removed`);
}
