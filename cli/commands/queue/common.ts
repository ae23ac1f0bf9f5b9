/**
 * What the `strato queue` subcommands share: the queue-id argument (its help text and its
 * validation, exit 2), the failure for a job an action could not touch (exit 1), and how a job's
 * next attempt and sender are shown.
 */
import type { QueueEntry } from '../../../core/ports/mail-queue.ts';
import type { Refusal } from '../../../core/queue/operator-actions.ts';
import { isQueueId } from '../../../core/util/ids.ts';
import { CliError, UsageError } from '../../errors.ts';

export const ID_HELP = 'queue id (20 characters, as in "250 Ok: queued as <id>")';

/** A queue id as typed (any case), or UsageError. */
export function queueId(input: string): string {
  const id = input.trim().toUpperCase();
  if (!isQueueId(id))
    throw new UsageError(`invalid queue id "${input}": expected 20 characters such as 01JD0Q5Z8X3V7K2M4N6P`);
  return id;
}

/** The failure for an id that is not in the queue (exit 1). */
export function notQueued(id: string): CliError {
  return new CliError(`queue job ${id} not found (delivered, removed, or never queued)`);
}

/** The one-line failure for a job an action could not touch (exit 1). */
export function refused(id: string, r: Refusal): CliError {
  return r.reason === 'in-flight'
    ? new CliError(
        `queue job ${id} is being delivered right now (in flight); try again when the attempt ends`,
      )
    : notQueued(id);
}

/** When a processor may next attempt the job (undefined for dead and held jobs: not until released). */
export function nextAttempt(e: QueueEntry): number | undefined {
  if (e.status === 'dead' || e.status === 'held') return undefined;
  return Math.max(e.visibleAt, e.job.notBefore ?? 0);
}

/** The envelope sender as shown: "<>" for the null sender. */
export const sender = (mailFrom: string): string => (mailFrom === '' ? '<>' : mailFrom);
