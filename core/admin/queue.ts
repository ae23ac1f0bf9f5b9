/**
 * The mail queue as `strato queue` and the WebAdmin operate it: list (the filters of
 * core/queue/queue-filter.ts, a limit and a cursor), depth, one job with its headers, retry /
 * bounce / delete one job (core/queue/operator-actions.ts), and the same actions (plus hold and
 * release) over the jobs a filter selects, with a dry run (core/queue/bulk-actions.ts). Every
 * function takes the caller's domain scope (queue-scope.ts: sender or a recipient in one of the
 * domains). Refusals: a bad filter, id, limit or cursor is InvalidInputError naming the field; an
 * unknown job NotFoundAdminError; a job out of scope ForbiddenError; a job in flight, or a bounce
 * without a stored body, QueueJobConflictError. Storage faults propagate.
 */
import { z } from 'zod';
import { readHeaderBlock } from '../mail/header-block.ts';
import type { QueueDepth } from '../ports/mail-queue.ts';
import { type BulkAction, type BulkReport, runBulk, selectJobs } from '../queue/bulk-actions.ts';
import { SCAN_LIMIT } from '../queue/hold-actions.ts';
import {
  bounceJob,
  deleteJob,
  MAX_REASON_LENGTH,
  type Refusal,
  retryNow,
} from '../queue/operator-actions.ts';
import { FILTER_STATES, isEmptyFilter, matchesFilter, type QueueFilter } from '../queue/queue-filter.ts';
import { headerLines, parseHeaderBlock } from '../rules/headers.ts';
import { ConflictError, ForbiddenError, InvalidInputError } from './errors.ts';
import { queueIdInput } from './ops-input.ts';
import {
  actionDeps,
  inScope,
  jobView,
  notQueued,
  type QueueDeps,
  type QueueJobView,
  type Scope,
  scopedJob,
} from './queue-scope.ts';

export type { QueueDeps, QueueJobView, Scope } from './queue-scope.ts';

/** A job an action could not touch now. */
export class QueueJobConflictError extends ConflictError {
  constructor(
    readonly id: string,
    readonly reason: 'in-flight' | 'body-missing',
    message: string,
  ) {
    super(message);
  }
}

const filterSchema = z
  .object({
    sender: z.string().optional(),
    recipient: z.string().min(1).optional(),
    domain: z.string().min(1).optional(),
    olderThanMs: z.number().int().min(0).optional(),
    newerThanMs: z.number().int().min(0).optional(),
    state: z.enum(FILTER_STATES as [string, ...string[]]).optional(),
  })
  .strict();

/** A filter as the API sent it, validated (InvalidInputError naming `filter.<field>`). */
export function validateFilter(input: unknown): QueueFilter {
  const parsed = filterSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data as QueueFilter;
  const issue = parsed.error.issues[0];
  const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : issue?.path[0];
  const field = ['filter', ...(key === undefined ? [] : [String(key)])].join('.');
  throw new InvalidInputError(field, `invalid ${field}: ${issue?.message ?? 'invalid value'}`);
}

export interface QueueListQuery extends Scope {
  readonly filter?: QueueFilter;
  /** At most this many jobs (default 100). */
  readonly limit?: number;
  /** The nextCursor of the previous page. */
  readonly cursor?: string;
}

export interface QueuePage {
  /** Oldest first. */
  readonly jobs: QueueJobView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

const cursorOf = (v: QueueJobView): string => `${v.job.createdAt}.${v.job.id}`;

function afterCursor(cursor: string): (v: QueueJobView) => boolean {
  const m = /^(\d+)\.([0-9A-Z]{20})$/.exec(cursor);
  if (!m) throw new InvalidInputError('cursor', `invalid cursor "${cursor}"`);
  const [at, id] = [Number(m[1]), m[2] as string];
  return (v) => v.job.createdAt > at || (v.job.createdAt === at && v.job.id > id);
}

/** Jobs oldest first, narrowed by the filter and the scope (on SQS: the jobs the index shows). */
export async function listQueue(
  deps: Pick<QueueDeps, 'queue' | 'clock'>,
  q: QueueListQuery = {},
): Promise<QueuePage> {
  const filter = validateFilter(q.filter);
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError('limit', 'limit must be a positive integer');
  const after = q.cursor === undefined ? undefined : afterCursor(q.cursor);
  const now = deps.clock.now();
  // Plain first page: the queue's own limit. Otherwise read the operator's view whole, then narrow.
  const plain =
    isEmptyFilter({ ...filter, state: undefined }) && filter.state !== 'deferred' && !after && !q.domains;
  const status = filter.state === 'deferred' ? undefined : filter.state;
  const read = await deps.queue.list({ limit: plain ? limit : SCAN_LIMIT, ...(status ? { status } : {}) });
  const views = read
    .filter((e) => matchesFilter(filter, e, now) && inScope(q, e))
    .map(jobView)
    .sort((a, b) => a.job.createdAt - b.job.createdAt || a.job.id.localeCompare(b.job.id))
    .filter((v) => !after || after(v));
  const jobs = views.slice(0, limit);
  const more = views.length > limit || (plain && read.length === limit);
  return { jobs, nextCursor: more && jobs.length ? cursorOf(jobs[jobs.length - 1]!) : null };
}

/** Counts per status and their total (the whole queue: refused to a scoped caller). */
export async function queueDepth(
  deps: Pick<QueueDeps, 'queue'>,
  scope: Scope = {},
): Promise<QueueDepth & { readonly total: number }> {
  if (scope.domains !== undefined) throw new ForbiddenError('the queue depth covers every domain');
  const d = await deps.queue.depth();
  return { ...d, total: d.ready + d.inFlight + d.delayed + d.dead + d.held };
}

export interface QueueJobDetail extends QueueJobView {
  /** The message's header fields in order (values as written), or null when the body is unreadable. */
  readonly headers: { readonly name: string; readonly value: string }[] | null;
  /** The header section as written (folding kept, LF line ends), or null. */
  readonly headerText: string | null;
  readonly bodyError?: string;
}

/** One job in full, with its message headers (an unreadable body is reported, not thrown). */
export async function showQueueJob(
  deps: Pick<QueueDeps, 'queue' | 'messages'>,
  id: string,
  scope: Scope = {},
): Promise<QueueJobDetail> {
  const entry = await scopedJob(deps, queueIdInput(id), scope);
  try {
    const block = await readHeaderBlock(await deps.messages.open(entry.job.body.key));
    const headers = parseHeaderBlock(block).map(([name, value]) => ({ name, value }));
    const headerText = headerLines(block).join('\n').replace(/\r\n/g, '\n');
    return { ...jobView(entry), headers, headerText };
  } catch (err) {
    const bodyError = err instanceof Error ? err.message : String(err);
    return { ...jobView(entry), headers: null, headerText: null, bodyError };
  }
}

function refused(id: string, r: Refusal): Error {
  return r.reason === 'in-flight'
    ? new QueueJobConflictError(
        id,
        'in-flight',
        `queue job ${id} is being delivered right now (in flight); try again when the attempt ends`,
      )
    : notQueued(id);
}

export interface RetriedView {
  readonly id: string;
  readonly status: 'ready';
  readonly previousStatus: string;
}

/** Make a waiting job ready now (its retry time cleared; a dead job starts over). */
export async function retryQueueJob(deps: QueueDeps, input: string, scope: Scope = {}): Promise<RetriedView> {
  const id = queueIdInput(input);
  await scopedJob(deps, id, scope);
  const r = await retryNow(deps.queue, id);
  if (!r.ok) throw refused(id, r);
  return { id, status: 'ready', previousStatus: r.before.status };
}

export interface BouncedView {
  readonly id: string;
  readonly bounced: true;
  /** The failure DSN's queue id, or null when none was sent (see noReport). */
  readonly dsnId: string | null;
  readonly reportTo: string | null;
  readonly reported: readonly string[];
  readonly unreported: readonly string[];
  readonly noReport: 'null-sender' | 'dsn-job' | 'notify' | 'nothing-pending' | null;
  readonly bodyError: string | null;
}

/** A bounce reason: one line of printable ASCII, at most MAX_REASON_LENGTH characters. */
export function validateBounceReason(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  const text = input.trim();
  const bad = (why: string) => new InvalidInputError('reason', why);
  if (text === '') throw bad('the bounce reason is empty');
  if (!/^[\x20-\x7e]*$/.test(text))
    throw bad('the bounce reason must be one line of printable ASCII (it is quoted in the DSN)');
  if (text.length > MAX_REASON_LENGTH)
    throw bad(`the bounce reason is ${text.length} characters long; at most ${MAX_REASON_LENGTH}`);
  return text;
}

/** Remove a waiting job and send its sender one failed DSN (core/queue/operator-actions.ts). */
export async function bounceQueueJob(
  deps: QueueDeps,
  input: string,
  reason?: string,
  scope: Scope = {},
): Promise<BouncedView> {
  const id = queueIdInput(input);
  const why = validateBounceReason(reason);
  await scopedJob(deps, id, scope);
  const r = await bounceJob(actionDeps(deps), id, why);
  if (!r.ok) {
    if (r.reason === 'body-missing')
      throw new QueueJobConflictError(
        id,
        'body-missing',
        `queue job ${id} has no stored body, so no DSN can be built; delete it instead`,
      );
    throw refused(id, r);
  }
  return {
    id,
    bounced: true,
    dsnId: r.dsnId ?? null,
    reportTo: r.dsnId ? r.job.envelope.mailFrom : null,
    reported: r.reported,
    unreported: r.unreported,
    noReport: r.noReport ?? null,
    bodyError: r.bodyError ?? null,
  };
}

/** Remove a waiting job and its body without any report. */
export async function deleteQueueJob(
  deps: QueueDeps,
  input: string,
  scope: Scope = {},
): Promise<{ readonly id: string; readonly deleted: true; readonly bodyError: string | null }> {
  const id = queueIdInput(input);
  await scopedJob(deps, id, scope);
  const r = await deleteJob(deps.queue, deps.messages, id);
  if (!r.ok) throw refused(id, r);
  return { id, deleted: true, bodyError: r.bodyError ?? null };
}

export type FilterAction = Exclude<BulkAction, 'redrive'>;

export interface BulkQuery extends Scope {
  readonly filter: QueueFilter;
  /** Count and name the jobs it would touch, change nothing. */
  readonly dryRun?: boolean;
  /** Bounce only: quoted in the DSN. */
  readonly reason?: string;
}

/**
 * An action over the waiting jobs a (non-empty) filter selects, within the scope: what it did
 * and what it skipped and why (in flight, gone meanwhile...). `release` acts on held jobs only.
 */
export async function bulkQueueAction(
  deps: QueueDeps,
  action: FilterAction,
  q: BulkQuery,
): Promise<BulkReport> {
  const filter = validateFilter(q.filter);
  if (isEmptyFilter(filter)) throw new InvalidInputError('filter', 'give at least one filter field');
  const reason = action === 'bounce' ? validateBounceReason(q.reason) : undefined;
  const selected = await selectJobs(
    deps.queue,
    action === 'release' ? { ...filter, state: 'held' } : filter,
    deps.clock.now(),
  );
  return runBulk(
    actionDeps(deps),
    action,
    selected.filter((e) => inScope(q, e)),
    {
      dryRun: q.dryRun === true,
      ...(reason !== undefined ? { reason } : {}),
    },
  );
}
