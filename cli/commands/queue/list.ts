/**
 * `strato queue list` (jobs oldest first, with sender, recipients, status and next attempt) and
 * `strato queue depth` (counts per status). A bad --status or --limit exits 2.
 */
import type { Command } from 'commander';
import type { QueueEntry, QueueEntryStatus } from '../../../core/ports/mail-queue.ts';
import type { CliContext } from '../../context.ts';
import { formatDuration, formatFields, formatRelative, formatTable } from '../../output.ts';
import * as parse from '../../parse.ts';
import { nextAttempt, sender } from './common.ts';

const STATUSES: readonly QueueEntryStatus[] = ['ready', 'in-flight', 'delayed', 'dead'];

interface ListOptions {
  status?: string;
  limit: string;
}

export function queueList(group: Command, ctx: CliContext): void {
  group
    .command('list')
    .description('list queued jobs, oldest first')
    .option('--status <status>', `only jobs in this status: ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most n jobs', '100')
    .action((opts: ListOptions) => listJobs(ctx, opts));
}

async function listJobs(ctx: CliContext, opts: ListOptions): Promise<void> {
  const status = opts.status === undefined ? undefined : parse.oneOf(opts.status, STATUSES, 'status');
  const limit = parse.positiveInt(opts.limit, 'limit');
  const storage = await ctx.storage();
  const entries = await storage.queue.list({ limit, ...(status ? { status } : {}) });
  entries.sort((a, b) => a.job.createdAt - b.job.createdAt || a.job.id.localeCompare(b.job.id));
  const now = Date.now();
  ctx.out.result(
    entries.map((e) => ({ ...e, nextAttemptAt: nextAttempt(e) ?? null })),
    () => {
      if (entries.length === 0) return ctx.out.line(status ? `no ${status} jobs` : 'queue is empty');
      ctx.out.line(
        formatTable(
          ['ID', 'AGE', 'FROM', 'RECIPIENTS', 'STATUS', 'RECEIVED', 'NEXT ATTEMPT'],
          entries.map((e) => jobRow(e, now)),
        ),
      );
      if (entries.length === limit) ctx.out.line(`(first ${limit} shown; use --limit for more)`);
    },
  );
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
  const d = await storage.queue.depth();
  const total = d.ready + d.inFlight + d.delayed + d.dead;
  ctx.out.result({ ...d, total }, () =>
    ctx.out.line(
      formatFields([
        ['ready', String(d.ready)],
        ['in-flight', String(d.inFlight)],
        ['delayed', String(d.delayed)],
        ['dead', String(d.dead)],
        ['total', String(total)],
      ]),
    ),
  );
}
