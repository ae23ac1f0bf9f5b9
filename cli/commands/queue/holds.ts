/**
 * `strato queue hold|release|holds`: hold directives (core/queue/hold-actions.ts) and filtered
 * holds. `hold <id>`, `hold --account <address>` and `hold --domain <domain>` add a directive every
 * queue processor applies (jobs it covers are parked, not delivered) and park the covered jobs
 * waiting now; with filter options instead, the matching waiting jobs are parked once (no
 * directive). `release` takes the same forms: the directive goes and the jobs it held are ready
 * at once. Releasing what is not held: exit 1. Bad input: exit 2, nothing changed. The use cases
 * are core/admin/queue-holds.ts and core/admin/queue.ts.
 */
import type { Command } from 'commander';
import { holdQueue, listHolds, releaseQueue } from '../../../core/admin/queue-holds.ts';
import type { QueueHoldKind } from '../../../core/ports/queue-holds.ts';
import type { QueueFilter } from '../../../core/queue/queue-filter.ts';
import type { CliContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { formatTime } from '../../output.ts';
import * as parse from '../../parse.ts';
import { bulkDeps, report, runFiltered } from './bulk.ts';
import { ID_HELP, queueId } from './common.ts';
import { type FilterInput, filterOptions, parseFilter } from './filter.ts';

interface HoldInput extends FilterInput {
  account?: string;
  domain?: string;
  reason?: string;
  dryRun?: boolean;
}

type Target = { kind: QueueHoldKind; value: string } | { filter: QueueFilter };

/** Exactly one of: an id, --account, --domain, or filter options. */
function target(input: string | undefined, o: HoldInput): Target {
  const { domain, account, ...rest } = o;
  const filter = parseFilter({ ...rest, domain: undefined });
  const given = [
    input !== undefined,
    account !== undefined,
    domain !== undefined,
    Object.keys(filter).length > 0,
  ];
  if (given.filter(Boolean).length !== 1) {
    throw new UsageError(
      'give one of: a queue id, --account <address>, --domain <domain>, or filter options',
    );
  }
  if (input !== undefined) return { kind: 'job', value: queueId(input) };
  if (account !== undefined) return { kind: 'account', value: parse.address(account, 'account') };
  if (domain !== undefined) return { kind: 'domain', value: parse.domain(domain) };
  return { filter };
}

function options(cmd: Command): Command {
  return filterOptions(
    cmd
      .argument('[id]', ID_HELP)
      .option('--account <address>', 'every job to this account (recipient address)')
      .option('--domain <domain>', 'every job to this destination domain'),
    false,
  ).option('--dry-run', 'print how many and which waiting jobs would be affected, change nothing');
}

export function queueHold(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('hold')
    .description(
      'hold mail: a job, an account or a domain (a standing directive: covered jobs are parked, ' +
        'not delivered, until released; jobs accepted later too), or the waiting jobs the filter options select (once)',
    )
    .option('--reason <text>', 'a note shown by "queue holds"');
  options(cmd).action((input: string | undefined, o: HoldInput) => hold(ctx, input, o));
}

async function hold(ctx: CliContext, input: string | undefined, o: HoldInput): Promise<void> {
  const t = target(input, o);
  if ('filter' in t) return runFiltered(ctx, 'hold', t.filter, o);
  const deps = bulkDeps(ctx, await ctx.storage());
  const r = await holdQueue(deps, t, {
    ...(o.reason ? { reason: o.reason } : {}),
    dryRun: o.dryRun === true,
  });
  if (r.dryRun) return report(ctx, r);
  const { dryRun: _, ...result } = r;
  ctx.out.result(result, () => {
    const what = `${r.hold.kind} ${r.hold.value}`;
    ctx.out.line(r.added ? `holding ${what}` : `${what} was held already`);
    ctx.out.line(
      `${r.parked.length} waiting job(s) parked${r.parked.length ? `: ${r.parked.join(', ')}` : ''}`,
    );
    if (r.inFlight.length) ctx.out.line(`in flight now (parked if they come back): ${r.inFlight.join(', ')}`);
  });
}

export function queueRelease(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('release')
    .description(
      'release a hold: remove the directive for a job, account or domain and make the jobs it held ' +
        'ready at once; or release the held jobs the filter options select',
    );
  options(cmd).action((input: string | undefined, o: HoldInput) => release(ctx, input, o));
}

async function release(ctx: CliContext, input: string | undefined, o: HoldInput): Promise<void> {
  const t = target(input, o);
  if ('filter' in t) return runFiltered(ctx, 'release', t.filter, o);
  const deps = bulkDeps(ctx, await ctx.storage());
  const r = await releaseQueue(deps, t, { dryRun: o.dryRun === true });
  if (r.dryRun) return report(ctx, r);
  const { dryRun: _, ...result } = r;
  ctx.out.result(result, () => {
    if (r.removed) ctx.out.line(`released the hold on ${t.kind} ${t.value}`);
    ctx.out.line(
      `${r.released.length} held job(s) ready now${r.released.length ? `: ${r.released.join(', ')}` : ''}`,
    );
    for (const s of r.stillHeld) ctx.out.line(`still held by ${s.by.kind} ${s.by.value}: ${s.id}`);
  });
}

export function queueHolds(group: Command, ctx: CliContext): void {
  group
    .command('holds')
    .description('list the hold directives (job, account, domain)')
    .action(async () => {
      const storage = await ctx.storage();
      const holds = await listHolds(storage);
      ctx.out.resultTable(holds, {
        headers: ['KIND', 'VALUE', 'SINCE', 'REASON'],
        rows: holds.map((h) => [h.kind, h.value, formatTime(h.createdAt), h.reason ?? '-']),
        empty: 'no holds',
      });
    });
}
