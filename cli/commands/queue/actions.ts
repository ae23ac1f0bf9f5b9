/**
 * `strato queue retry|bounce|delete <id>`: the three operator actions on one waiting job
 * (core/admin/queue.ts over core/queue/operator-actions.ts). A job in flight or not in the queue is refused with exit 1;
 * a bounce needs the stored body to build its DSN (without it: exit 1, pointing to delete).
 * Instead of an id, filter options select the jobs (bulk.ts; --dry-run shows them, changes nothing).
 */
import type { Command } from 'commander';
import {
  type BouncedView,
  bounceQueueJob,
  deleteQueueJob,
  QueueJobConflictError,
  retryQueueJob,
  validateBounceReason,
} from '../../../core/admin/queue.ts';
import { MAX_REASON_LENGTH } from '../../../core/queue/operator-actions.ts';
import type { CliContext } from '../../context.ts';
import { CliError, UsageError } from '../../errors.ts';
import type { Printer } from '../../output.ts';
import { bulkDeps, runFiltered } from './bulk.ts';
import { ID_HELP, queueId } from './common.ts';
import { type FilterInput, filterOptions, parseFilter } from './filter.ts';

type BulkInput = FilterInput & { dryRun?: boolean };

/** `[id]` or filter options (one of the two), and --dry-run for the filtered form. */
function idOrFilter(cmd: Command): Command {
  return filterOptions(cmd.argument('[id]', `${ID_HELP}; or select jobs with the filter options`)).option(
    '--dry-run',
    'with filter options: print how many and which jobs would be affected, change nothing',
  );
}

/** Run `single` for an id, else the bulk action over the filter; usage errors before any storage. */
async function byIdOrFilter(
  input: string | undefined,
  opts: BulkInput,
  single: (id: string) => Promise<void>,
  bulk: (filter: ReturnType<typeof parseFilter>) => Promise<void>,
): Promise<void> {
  const filter = parseFilter(opts);
  const filtered = Object.keys(filter).length > 0;
  if (input !== undefined && filtered) throw new UsageError('give a queue id or filter options, not both');
  if (input !== undefined) {
    if (opts.dryRun) throw new UsageError('--dry-run goes with filter options, not with a queue id');
    return single(input);
  }
  if (!filtered) throw new UsageError('give a queue id or at least one filter option (see --help)');
  return bulk(filter);
}

export function queueRetry(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('retry')
    .description(
      'attempt a waiting job now: make it ready and clear its retry time (a dead job starts over)',
    );
  idOrFilter(cmd).action((input: string | undefined, opts: BulkInput) =>
    byIdOrFilter(
      input,
      opts,
      (id) => retryJob(ctx, id),
      (f) => runFiltered(ctx, 'retry', f, opts),
    ),
  );
}

async function retryJob(ctx: CliContext, input: string): Promise<void> {
  const id = queueId(input);
  const r = await retryQueueJob(bulkDeps(ctx, await ctx.storage()), id);
  ctx.out.resultLine(
    r,
    `queue job ${id} is ready (was ${r.previousStatus}); a queue processor will attempt it now`,
  );
}

export function queueBounce(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('bounce')
    .description(
      'give up on a waiting job: remove it and send its sender one failed DSN (from <>) for the ' +
        'pending recipients whose NOTIFY asks for failures (never to a <> sender); then delete its body',
    )
    .option(
      '--reason <text>',
      `why, quoted in the DSN as "550 5.7.1 rejected by the administrator: <text>" (ASCII, at most ${MAX_REASON_LENGTH} characters)`,
    );
  idOrFilter(cmd).action((input: string | undefined, opts: BulkInput & { reason?: string }) =>
    byIdOrFilter(
      input,
      opts,
      (id) => bounce(ctx, id, opts.reason),
      (f) => runFiltered(ctx, 'bounce', f, { ...opts, reason: bounceReason(opts.reason) }),
    ),
  );
}

/** --reason: one line of printable ASCII (it goes into the DSN's Diagnostic-Code field). */
const bounceReason = validateBounceReason;

async function bounce(ctx: CliContext, input: string, reasonInput: string | undefined): Promise<void> {
  const id = queueId(input);
  const reason = bounceReason(reasonInput);
  const deps = bulkDeps(ctx, await ctx.storage());
  const r = await bounceQueueJob(deps, id, reason).catch((err: unknown) => {
    if (err instanceof QueueJobConflictError && err.reason === 'body-missing') {
      throw new CliError(
        `queue job ${id} has no stored body, so no DSN can be built; "strato queue delete ${id}" removes it without a report`,
      );
    }
    throw err;
  });
  printBounced(ctx.out, id, r);
}

/** Why a bounce sent no DSN, for each `noReport` reason. */
const NO_REPORT_BECAUSE = {
  'null-sender': 'the sender is <>',
  'dsn-job': 'it is itself a DSN',
  notify: 'no pending recipient asked for failure reports (NOTIFY)',
  'nothing-pending': 'no recipient was pending',
} as const;

function printBounced(out: Printer, id: string, r: BouncedView): void {
  const mailFrom = r.reportTo;
  out.result(r, () => {
    out.line(
      r.dsnId
        ? `queue job ${id} bounced: DSN ${r.dsnId} queued to ${mailFrom} for ${r.reported.join(', ')}`
        : `queue job ${id} bounced without a DSN: ${NO_REPORT_BECAUSE[r.noReport ?? 'notify']}`,
    );
    if (r.dsnId && r.unreported.length > 0) out.line(`not reported (NOTIFY): ${r.unreported.join(', ')}`);
    if (r.bodyError) out.line(`its body could not be deleted: ${r.bodyError}`);
  });
}

export function queueDelete(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('delete')
    .description('remove a waiting job and its body without any report to the sender');
  idOrFilter(cmd).action((input: string | undefined, opts: BulkInput) =>
    byIdOrFilter(
      input,
      opts,
      (id) => deleteQueued(ctx, id),
      (f) => runFiltered(ctx, 'delete', f, opts),
    ),
  );
}

async function deleteQueued(ctx: CliContext, input: string): Promise<void> {
  const id = queueId(input);
  const r = await deleteQueueJob(bulkDeps(ctx, await ctx.storage()), id);
  ctx.out.result(r, () => {
    ctx.out.line(`queue job ${id} deleted`);
    if (r.bodyError) ctx.out.line(`its body could not be deleted: ${r.bodyError}`);
  });
}
