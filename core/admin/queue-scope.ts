/**
 * The queue use cases' shared parts: their dependencies, the domain scope of a domain
 * administrator and the job view.
 *
 * Scope rule: with `domains` given (a domain administrator's domains), a job is in scope when its
 * envelope sender's domain or any recipient's domain (the address delivered to, or as given at
 * RCPT) is one of them; the null sender has no domain. Lists and bulk actions silently leave out
 * jobs out of scope; naming one by id is a ForbiddenError. `domains` undefined means the whole
 * queue (a cluster administrator); an empty list sees nothing.
 */
import type { Clock } from '../ports/clock.ts';
import type { MailQueue, QueueEntry, QueueOperator } from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { QueueHolds } from '../ports/queue-holds.ts';
import { ForbiddenError, NotFoundAdminError } from './errors.ts';

export interface QueueDeps {
  readonly queue: QueueOperator & Pick<MailQueue, 'enqueue'>;
  readonly messages: MessageStore;
  readonly holds: QueueHolds;
  readonly clock: Clock;
  /** Reporting MTA named in bounce DSNs (STRATO_HOSTNAME). */
  readonly hostname: string;
}

/**
 * Only the fields the core actions take: a caller may pass a whole Storage (whose `history` is
 * not the HistoryRecorder the actions would otherwise pick up).
 */
export function actionDeps(deps: QueueDeps): QueueDeps {
  const { queue, messages, holds, clock, hostname } = deps;
  return { queue, messages, holds, clock, hostname };
}

/** The domains a caller may see; undefined: all. */
export interface Scope {
  readonly domains?: readonly string[];
}

/** A job as listed: the queue entry and when a processor may next attempt it (null: dead or held). */
export interface QueueJobView extends QueueEntry {
  readonly nextAttemptAt: number | null;
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Whether a job is in the caller's scope (see the rule above). */
export function inScope(scope: Scope, e: QueueEntry): boolean {
  if (scope.domains === undefined) return true;
  const want = new Set(scope.domains.map((d) => d.toLowerCase()));
  const env = e.job.envelope;
  if (env.mailFrom !== '' && want.has(domainOf(env.mailFrom))) return true;
  return env.recipients.some((r) => want.has(domainOf(r.address)) || want.has(domainOf(r.original)));
}

/** Whether a domain (an account's, a hold's) is in the caller's scope. */
export function domainInScope(scope: Scope, domain: string): boolean {
  return scope.domains === undefined || scope.domains.some((d) => d.toLowerCase() === domain.toLowerCase());
}

/** When a processor may next attempt the job (undefined for dead and held jobs: not until released). */
export function nextAttempt(e: QueueEntry): number | undefined {
  if (e.status === 'dead' || e.status === 'held') return undefined;
  return Math.max(e.visibleAt, e.job.notBefore ?? 0);
}

export function jobView(e: QueueEntry): QueueJobView {
  return { ...e, nextAttemptAt: nextAttempt(e) ?? null };
}

export const notQueued = (id: string): NotFoundAdminError =>
  new NotFoundAdminError('queue job', id, `queue job ${id} not found (delivered, removed, or never queued)`);

/** The job, or NotFoundAdminError; ForbiddenError when out of the caller's scope. */
export async function scopedJob(
  deps: Pick<QueueDeps, 'queue'>,
  id: string,
  scope: Scope,
): Promise<QueueEntry> {
  const entry = await deps.queue.get(id);
  if (!entry) throw notQueued(id);
  if (!inScope(scope, entry)) throw new ForbiddenError(`queue job ${id} is outside your domains`);
  return entry;
}
