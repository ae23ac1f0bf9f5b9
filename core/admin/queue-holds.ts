/**
 * Hold directives and dead letters, for `strato queue hold|release|holds|dead|redrive` and the
 * WebAdmin. `holdQueue` adds a standing directive for a job, an account or a domain
 * (core/queue/hold-actions.ts: covered waiting jobs are parked now, later ones by the processors);
 * `releaseQueue` removes it and readies the jobs it held; with `dryRun` both only say which
 * waiting jobs they would touch. Dead letters are listed with their last reply and redriven (by
 * ids, or all) with a dry run. Scope (queue-scope.ts): an account or domain outside the caller's
 * domains, or a job out of scope, is a ForbiddenError; lists leave out what is out of scope.
 * Releasing what is not held is a ConflictError; an unknown job to redrive NotFoundAdminError; a
 * bad value InvalidInputError. Storage faults propagate.
 */
import { formatReply } from '../mail/smtp-replies.ts';
import type { QueueEntry } from '../ports/mail-queue.ts';
import { QUEUE_HOLD_KINDS, type QueueHold, type QueueHoldKind } from '../ports/queue-holds.ts';
import { type BulkReport, runBulk } from '../queue/bulk-actions.ts';
import { addHold, type HoldResult, releaseHold, SCAN_LIMIT } from '../queue/hold-actions.ts';
import { holdCovering } from '../queue/hold-check.ts';
import { ConflictError, ForbiddenError, InvalidInputError } from './errors.ts';
import { addressInput, domainInput, queueIdInput } from './ops-input.ts';
import {
  actionDeps,
  domainInScope,
  inScope,
  jobView,
  notQueued,
  type QueueDeps,
  type QueueJobView,
  type Scope,
  scopedJob,
} from './queue-scope.ts';

export interface HoldTarget {
  readonly kind: QueueHoldKind;
  /** A queue id, an account address or a domain. */
  readonly value: string;
}

/** The target validated and normalised, and checked against the scope. */
async function target(deps: Pick<QueueDeps, 'queue'>, t: HoldTarget, scope: Scope): Promise<HoldTarget> {
  if (!QUEUE_HOLD_KINDS.includes(t.kind))
    throw new InvalidInputError('kind', `hold kind must be one of ${QUEUE_HOLD_KINDS.join(', ')}`);
  if (t.kind === 'job') {
    const id = queueIdInput(t.value, 'value');
    if (scope.domains !== undefined) await scopedJob(deps, id, scope);
    return { kind: 'job', value: id };
  }
  const value = t.kind === 'account' ? addressInput(t.value, 'value') : domainInput(t.value, 'value');
  const domain = t.kind === 'account' ? value.slice(value.lastIndexOf('@') + 1) : value;
  if (!domainInScope(scope, domain)) throw new ForbiddenError(`${t.kind} ${value} is outside your domains`);
  return { kind: t.kind, value };
}

/** The waiting (or, for release, held) jobs a directive covers, in scope. */
async function covered(
  deps: Pick<QueueDeps, 'queue'>,
  t: HoldTarget,
  status?: 'held',
): Promise<QueueEntry[]> {
  const entries = await deps.queue.list({ limit: SCAN_LIMIT, ...(status ? { status } : {}) });
  return entries.filter((e) => holdCovering([{ ...t, createdAt: 0 }], e.job));
}

export type HoldOutcome =
  | ({ readonly dryRun: false } & HoldResult)
  | ({ readonly dryRun: true } & BulkReport);

/** Add a hold directive (or, with dryRun, report the waiting jobs it would park). */
export async function holdQueue(
  deps: QueueDeps,
  t: HoldTarget,
  opts: Scope & { readonly reason?: string; readonly dryRun?: boolean } = {},
): Promise<HoldOutcome> {
  const valid = await target(deps, t, opts);
  if (opts.dryRun) {
    const report = await runBulk(actionDeps(deps), 'hold', await covered(deps, valid), { dryRun: true });
    return { ...report, dryRun: true };
  }
  const reason = opts.reason?.trim();
  return { dryRun: false, ...(await addHold(deps, valid.kind, valid.value, reason || undefined)) };
}

export type ReleaseOutcome =
  | {
      readonly dryRun: false;
      readonly ok: true;
      readonly removed: boolean;
      readonly released: readonly string[];
      readonly stillHeld: readonly { id: string; by: QueueHold }[];
    }
  | ({ readonly dryRun: true } & BulkReport);

/** Remove a hold directive and ready the jobs it held (ConflictError when nothing was held). */
export async function releaseQueue(
  deps: QueueDeps,
  t: HoldTarget,
  opts: Scope & { readonly dryRun?: boolean } = {},
): Promise<ReleaseOutcome> {
  const valid = await target(deps, t, opts);
  if (opts.dryRun) {
    const report = await runBulk(actionDeps(deps), 'release', await covered(deps, valid, 'held'), {
      dryRun: true,
    });
    return { ...report, dryRun: true };
  }
  const r = await releaseHold(deps, valid.kind, valid.value);
  if (!r.ok) throw new ConflictError(`${valid.kind} ${valid.value} is not held`);
  return { dryRun: false, ...r };
}

/** The hold directives, oldest first; a scoped caller sees those of its domains and its jobs. */
export async function listHolds(
  deps: Pick<QueueDeps, 'holds' | 'queue'>,
  scope: Scope = {},
): Promise<QueueHold[]> {
  const holds = await deps.holds.list();
  if (scope.domains === undefined) return holds;
  const out: QueueHold[] = [];
  for (const h of holds) {
    if (h.kind === 'job') {
      const e = await deps.queue.get(h.value);
      if (e && inScope(scope, e)) out.push(h);
    } else if (
      domainInScope(scope, h.kind === 'domain' ? h.value : h.value.slice(h.value.lastIndexOf('@') + 1))
    ) {
      out.push(h);
    }
  }
  return out;
}

export interface DeadLetterView extends QueueJobView {
  /** The newest reply a still-pending recipient got, or null. */
  readonly lastReply: string | null;
}

function lastReply(e: QueueEntry): string | null {
  const replies = e.job.envelope.recipients
    .filter((r) => r.state === 'pending' && r.lastReply)
    .sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
  return replies[0]?.lastReply ? formatReply(replies[0].lastReply) : null;
}

/** Dead-lettered jobs (received maxReceiveCount times without finishing), in scope. */
export async function listDeadLetters(
  deps: Pick<QueueDeps, 'queue'>,
  q: Scope & { readonly limit?: number } = {},
): Promise<DeadLetterView[]> {
  const limit = q.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError('limit', 'limit must be a positive integer');
  const read = await deps.queue.list({ status: 'dead', limit: q.domains === undefined ? limit : SCAN_LIMIT });
  return read
    .filter((e) => inScope(q, e))
    .slice(0, limit)
    .map((e) => ({ ...jobView(e), lastReply: lastReply(e) }));
}

/**
 * Start dead jobs over (ready now, fresh receive count): the ids given (an unknown one stops it
 * before anything changed; one not dead is skipped) or every dead job in scope (`all`).
 */
export async function redriveDeadLetters(
  deps: QueueDeps,
  q: Scope & { readonly ids?: readonly string[]; readonly all?: boolean; readonly dryRun?: boolean },
): Promise<BulkReport> {
  const ids = q.ids ?? [];
  if (q.all && ids.length > 0) throw new InvalidInputError('ids', 'give queue ids or all, not both');
  if (!q.all && ids.length === 0) throw new InvalidInputError('ids', 'give the queue ids to redrive, or all');
  let entries: QueueEntry[];
  if (q.all) {
    entries = (await deps.queue.list({ status: 'dead', limit: SCAN_LIMIT })).filter((e) => inScope(q, e));
  } else {
    entries = [];
    for (const id of new Set(ids.map((i) => queueIdInput(i, 'ids')))) {
      const e = await deps.queue.get(id);
      if (!e) throw notQueued(id);
      if (!inScope(q, e)) throw new ForbiddenError(`queue job ${id} is outside your domains`);
      entries.push(e);
    }
  }
  return runBulk(actionDeps(deps), 'redrive', entries, { dryRun: q.dryRun === true });
}
