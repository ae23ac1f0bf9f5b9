/**
 * Running an operator action over the jobs a filter selects (core/admin/queue.ts) and
 * printing its report: with --dry-run how many and which jobs it would touch (nothing changes),
 * else what it did and what it skipped and why. No match: says so, exit 0. Some jobs skipped (in
 * flight, gone meanwhile...): the report, then exit 1, so a script notices and can repeat.
 */

import { bulkQueueAction, type FilterAction, type QueueDeps } from '../../../core/admin/queue.ts';
import { DEFAULT_HOSTNAME } from '../../../core/config/defaults.ts';
import { ENV } from '../../../core/config/env-names.ts';
import { systemClock } from '../../../core/ports/clock.ts';
import type { Storage } from '../../../core/ports/storage.ts';
import type { BulkAction, BulkReport } from '../../../core/queue/bulk-actions.ts';
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

/** What the queue use cases need, from the storage and STRATO_HOSTNAME. */
export function bulkDeps(ctx: CliContext, storage: Storage): QueueDeps {
  return {
    queue: storage.queue,
    messages: storage.messages,
    holds: storage.holds,
    clock: systemClock,
    hostname: ctx.io.env[ENV.hostname] || DEFAULT_HOSTNAME,
  };
}

/** Select by `filter`, act (unless dry run) and print the report (core/admin/queue.ts). */
export async function runFiltered(
  ctx: CliContext,
  action: FilterAction,
  filter: QueueFilter,
  opts: { dryRun?: boolean; reason?: string },
): Promise<void> {
  const storage = await ctx.storage();
  const query = {
    filter,
    ...(opts.dryRun ? { dryRun: true } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
  };
  report(ctx, await bulkQueueAction(bulkDeps(ctx, storage), action, query));
}

/** Print a bulk report; some jobs skipped (not a dry run) → exit 1 after the report. */
export function report(ctx: CliContext, r: BulkReport): void {
  printReport(ctx, r);
  if (!r.dryRun && r.skipped.length > 0) {
    throw new CliError(`${r.skipped.length} of ${r.matched.length} matching jobs were not ${DONE[r.action]}`);
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
