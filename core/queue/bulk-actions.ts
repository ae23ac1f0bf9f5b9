/**
 * Operator actions by filter (CLI `queue retry|bounce|delete|hold|release` with filter options,
 * `queue redrive`): select the jobs the operator can see that match (queue-filter.ts), then, unless
 * it is a dry run, act on each one with the single-job use case. Each job is reported as done or
 * skipped with the reason (in flight, gone meanwhile, body missing, not in the right state), so a
 * partial run can simply be repeated. Failure: a storage fault stops the run and propagates; the
 * jobs already acted on are those a repeat no longer matches.
 */
import type { Clock } from '../ports/clock.ts';
import type { MailQueue, QueueEntry, QueueOperator } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { QueueHolds } from '../ports/queue-holds.ts';
import { SCAN_LIMIT } from './hold-actions.ts';
import { holdCovering } from './hold-check.ts';
import { bounceJob, deleteJob, retryNow } from './operator-actions.ts';
import { listStatus, matchesFilter, type QueueFilter } from './queue-filter.ts';

export type BulkAction = 'retry' | 'bounce' | 'delete' | 'hold' | 'release' | 'redrive';

export interface BulkDeps {
  readonly queue: QueueOperator & Pick<MailQueue, 'enqueue'>;
  readonly messages: MessageStore;
  readonly holds: QueueHolds;
  readonly clock: Clock;
  /** Reporting MTA named in bounce DSNs. */
  readonly hostname: string;
}

export interface BulkOptions {
  readonly dryRun?: boolean;
  /** Bounce reason (quoted in the DSN). */
  readonly reason?: string;
}

export type SkipReason =
  | 'in-flight'
  | 'not-found'
  | 'body-missing'
  | 'not-held'
  | 'not-dead'
  | 'held-by-directive';

export interface BulkReport {
  readonly action: BulkAction;
  readonly dryRun: boolean;
  /** Every job the filter matched (what a dry run would act on). */
  readonly matched: readonly string[];
  readonly done: readonly string[];
  readonly skipped: readonly { readonly id: string; readonly reason: SkipReason }[];
}

/** The visible jobs that match, oldest first. */
export async function selectJobs(
  queue: QueueOperator,
  filter: QueueFilter,
  now: number,
): Promise<QueueEntry[]> {
  const status = listStatus(filter);
  const entries = await queue.list({ limit: SCAN_LIMIT, ...(status ? { status } : {}) });
  return entries
    .filter((e) => matchesFilter(filter, e, now))
    .sort((a, b) => a.job.createdAt - b.job.createdAt || a.job.id.localeCompare(b.job.id));
}

/** Which states an action applies to; a matched job in another state is skipped, not touched. */
function applies(action: BulkAction, e: QueueEntry): SkipReason | undefined {
  if (e.status === 'in-flight') return 'in-flight';
  if (action === 'release' && e.status !== 'held') return 'not-held';
  if (action === 'redrive' && e.status !== 'dead') return 'not-dead';
  if (action === 'hold' && e.status === 'dead') return 'not-dead';
  return undefined;
}

type One = (e: QueueEntry) => Promise<SkipReason | undefined>;

function actionFor(deps: BulkDeps, action: BulkAction, opts: BulkOptions): One {
  const id = (e: QueueEntry) => e.job.id;
  const why = (r: { ok: true } | { ok: false; reason: SkipReason }) => (r.ok ? undefined : r.reason);
  switch (action) {
    case 'retry':
      return async (e) => why(await retryNow(deps.queue, id(e)));
    case 'delete':
      return async (e) => why(await deleteJob(deps.queue, deps.messages, id(e)));
    case 'bounce':
      return async (e) => why(await bounceJob(deps, id(e), opts.reason));
    case 'hold':
      return async (e) => (e.status === 'held' || (await deps.queue.hold(id(e))) ? undefined : 'in-flight');
    case 'redrive':
      return async (e) => ((await deps.queue.releaseNow(id(e))) ? undefined : 'not-found');
    case 'release':
      return async (e) => {
        // A job directive for this id goes with it; an account or domain directive stays, and
        // the job with it (release that directive instead).
        await deps.holds.remove('job', id(e));
        if (holdCovering(await deps.holds.list(), e.job)) return 'held-by-directive';
        return (await deps.queue.releaseNow(id(e), { clearNotBefore: true })) ? undefined : 'not-found';
      };
  }
}

export async function runBulk(
  deps: BulkDeps,
  action: BulkAction,
  entries: readonly QueueEntry[],
  opts: BulkOptions = {},
): Promise<BulkReport> {
  const matched = entries.map((e) => e.job.id);
  const done: string[] = [];
  const skipped: { id: string; reason: SkipReason }[] = [];
  const one = actionFor(deps, action, opts);
  for (const e of entries) {
    const pre = applies(action, e);
    if (pre) skipped.push({ id: e.job.id, reason: pre });
    else if (opts.dryRun) done.push(e.job.id);
    else {
      const r = await one(e);
      if (r) skipped.push({ id: e.job.id, reason: r });
      else done.push(e.job.id);
    }
  }
  return { action, dryRun: opts.dryRun === true, matched, done, skipped };
}
