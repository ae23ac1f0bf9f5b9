/**
 * Running an operator action over the jobs a filter selects (core/queue/bulk-actions.ts) and
 * printing its report: with --dry-run how many and which jobs it would touch (nothing changes),
 * else what it did and what it skipped and why. No match: says so, exit 0. Some jobs skipped (in
 * flight, gone meanwhile...): the report, then exit 1, so a script notices and can repeat.
 */
import { DEFAULT_HOSTNAME } from '../../../core/config/defaults.ts';
import { ENV } from '../../../core/config/env-names.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { QueueEntry } from '../../../core/ports/mail-queue.ts';
import type { Storage } from '../../../core/ports/storage.ts';
import {
  type BulkAction,
  type BulkDeps,
  type BulkReport,
  runBulk,
  selectJobs,
} from '../../../core/queue/bulk-actions.ts';
import type { QueueFilter } from '../../../core/queue/queue-filter.ts';
import type { CliContext } from '../../context.ts';
import { CliError } from '../../errors.ts';

/** Past-tense and "would" wording per action. */
const DONE: Record<BulkAction, string> = {
  retry: 'retried',
  bounce: 'bounced',
  delete: 'deleted',
  hold: 'held',
  release: 'released',
  redrive: 'redriven',
};

export function bulkDeps(ctx: CliContext, storage: Storage): BulkDeps {
  return {
    queue: storage.queue,
    messages: storage.messages,
    holds: storage.holds,
    clock: systemClock,
    hostname: ctx.io.env[ENV.hostname] || DEFAULT_HOSTNAME,
  };
}

/** Select by `filter`, act (unless dry run) and print the report. */
export async function runFiltered(
  ctx: CliContext,
  action: BulkAction,
  filter: QueueFilter,
  opts: { dryRun?: boolean; reason?: string },
): Promise<void> {
  const storage = await ctx.storage();
  const entries = await selectJobs(storage.queue, filter, systemClock.now());
  await runOn(ctx, storage, action, entries, opts);
}

export async function runOn(
  ctx: CliContext,
  storage: Storage,
  action: BulkAction,
  entries: readonly QueueEntry[],
  opts: { dryRun?: boolean; reason?: string },
): Promise<void> {
  const report = await runBulk(bulkDeps(ctx, storage), action, entries, opts);
  printReport(ctx, report);
  if (!report.dryRun && report.skipped.length > 0) {
    throw new CliError(
      `${report.skipped.length} of ${report.matched.length} matching jobs were not ${DONE[action]}`,
    );
  }
}

function printReport(ctx: CliContext, r: BulkReport): void {
  const out = ctx.out;
  out.result(r, () => {
    if (r.matched.length === 0) return out.line('no queued job matches');
    const verb = r.dryRun ? `would be ${DONE[r.action]}` : DONE[r.action];
    out.line(`${r.done.length} of ${r.matched.length} matching job(s) ${verb}${r.done.length ? ':' : ''}`);
    for (const id of r.done) out.line(`  ${id}`);
    if (r.skipped.length > 0) {
      out.line(`${r.skipped.length} ${r.dryRun ? 'would be ' : ''}skipped:`);
      for (const s of r.skipped) out.line(`  ${s.id} (${s.reason})`);
    }
  });
}
