/**
 * What the `strato queue` subcommands share: the queue-id argument (its help text and its
 * validation, exit 2) and how a job's next attempt and sender are shown.
 */
import { isQueueId } from '../../../core/util/ids.ts';
import { UsageError } from '../../errors.ts';

export const ID_HELP = 'queue id (20 characters, as in "250 Ok: queued as <id>")';

/** A queue id as typed (any case), or UsageError. */
export function queueId(input: string): string {
  const id = input.trim().toUpperCase();
  if (!isQueueId(id))
    throw new UsageError(`invalid queue id "${input}": expected 20 characters such as 01JD0Q5Z8X3V7K2M4N6P`);
  return id;
}

/** When a processor may next attempt the job (undefined for dead and held jobs: not until released). */
export { nextAttempt } from '../../../core/admin/queue-scope.ts';

/** The envelope sender as shown: "<>" for the null sender. */
export const sender = (mailFrom: string): string => (mailFrom === '' ? '<>' : mailFrom);
