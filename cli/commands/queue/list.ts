/**
 * `strato queue list` (jobs oldest first, with sender, recipients, status and next attempt; the
 * filter options narrow it) and `strato queue depth` (counts per status). A bad --status, --limit
 * or filter exits 2. On SQS only the jobs off the fast path are listed (first attempts are not).
 * The use cases are core/admin/queue.ts.
 */
import type { Command } from 'commander';
import { queueDepth as depthOf, listQueue } from '../../../core/admin/queue.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { QueueEntry } from '../../../core/ports/mail-queue.ts';
import { FILTER_STATES, type FilterState, isEmptyFilter } from '../../../core/queue/queue-filter.ts';
import type { CliContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { formatDuration, formatFields, formatRelative, formatTable } from '../../output.ts';
import * as parse from '../../parse.ts';
import { nextAttempt, sender } from './common.ts';
import { type FilterInput, filterOptions, parseFilter } from './filter.ts';

interface ListOptions extends FilterInput {
  status?: string;
  limit: string;
}

export function queueList(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('list')
    .description(
      'list queued jobs, oldest first (on SQS: jobs past their first attempt, delayed, held or dead)',
    )
    .option('--status <status>', `same as --state: ${FILTER_STATES.join(', ')}`)
    .option('--limit <n>', 'at most n jobs', '100');
  filterOptions(cmd).action((opts: ListOptions) => listJobs(ctx, opts));
}

async function listJobs(ctx: CliContext, opts: ListOptions): Promise<void> {
  if (opts.status !== undefined && opts.state !== undefined)
    throw new UsageError('give --status or --state, not both');
  const filter = {
    ...parseFilter(opts),
    ...(opts.status !== undefined ? { state: parse.oneOf(opts.status, FILTER_STATES, 'status') } : {}),
  };
  const status: FilterState | undefined = filter.state;
  const limit = parse.positiveInt(opts.limit, 'limit');
  const storage = await ctx.storage();
  const now = Date.now();
  const { jobs: entries } = await listQueue({ queue: storage.queue, clock: systemClock }, { filter, limit });
  ctx.out.result(entries, () => {
    if (entries.length === 0) {
      if (!isEmptyFilter({ ...filter, state: undefined })) return ctx.out.line('no queued job matches');
      return ctx.out.line(status ? `no ${status} jobs` : 'queue is empty');
    }
    ctx.out.line(
      formatTable(
        ['ID', 'AGE', 'FROM', 'RECIPIENTS', 'STATUS', 'RECEIVED', 'NEXT ATTEMPT'],
        entries.map((e) => jobRow(e, now)),
      ),
    );
    if (entries.length === limit) ctx.out.line(`(first ${limit} shown; use --limit for more)`);
  });
}

function jobRow(e: QueueEntry, now: number): string[] {
  const next = nextAttempt(e);
  return [
    e.job.id,
    formatDuration(now - e.job.createdAt),
    sender(e.job.envelope.mailFrom),
    recipientsSummary(e),
    e.status,
    String(e.receiveCount),
    next === undefined ? '-' : next <= now ? 'now' : formatRelative(next, now),
  ];
}

/** The first `max` recipients with their state, then how many more. */
function recipientsSummary(e: QueueEntry, max = 3): string {
  const rcpts = e.job.envelope.recipients;
  const shown = rcpts.slice(0, max).map((r) => `${r.address} (${r.state})`);
  if (rcpts.length > max) shown.push(`+${rcpts.length - max} more`);
  return shown.join(', ');
}

export function queueDepth(group: Command, ctx: CliContext): void {
  group
    .command('depth')
    .description('count queued jobs per status')
    .action(() => showDepth(ctx));
}

async function showDepth(ctx: CliContext): Promise<void> {
  const storage = await ctx.storage();
  const d = await depthOf(storage);
  ctx.out.result(d, () =>
    ctx.out.line(
      formatFields([
        ['ready', String(d.ready)],
        ['in-flight', String(d.inFlight)],
        ['delayed', String(d.delayed)],
        ['dead', String(d.dead)],
        ['held', String(d.held)],
        ['total', String(d.total)],
      ]),
    ),
  );
}
