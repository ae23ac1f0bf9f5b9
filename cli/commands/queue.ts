/**
 * `strato queue list|show|depth|retry|bounce|delete`: the operator's view of the shared mail
 * queue (jobs with status, per-recipient state and next attempt; one job in full with the message
 * headers read from the MessageStore; counts per status) and the three actions on one waiting job
 * (core/queue/operator-actions.ts), by id or by filter with a dry run; hold directives (job,
 * account, domain) and their release; dead letters and redrive. A bad --status, --limit, --reason,
 * filter or queue id exits 2; an id not in the queue, a job in flight, a release of what is not
 * held, or a bounce without a stored body exits 1. A missing body is
 * shown as such in `queue show`, not treated as a failure. Each subcommand lives in queue/.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { queueBounce, queueDelete, queueRetry } from './queue/actions.ts';
import { queueDead, queueRedrive } from './queue/dead.ts';
import { queueHold, queueHolds, queueRelease } from './queue/holds.ts';
import { queueDepth, queueList } from './queue/list.ts';
import { queueShow } from './queue/show.ts';

export function registerQueue(program: Command, ctx: CliContext): void {
  const queue = program
    .command('queue')
    .description(
      'inspect the shared mail queue; retry, bounce, delete, hold or release jobs (one, or by filter); dead letters',
    )
    .addHelpText(
      'after',
      '\nTo find a message by Message-ID, sender or recipient, or to see what happened to it, use\n' +
        '"strato trace <queue-id|Message-ID|address>" ("--queued": only those still queued, on SQS\n' +
        'first attempts included, which "queue list" does not show).',
    );
  queueList(queue, ctx);
  queueShow(queue, ctx);
  queueDepth(queue, ctx);
  queueRetry(queue, ctx);
  queueBounce(queue, ctx);
  queueDelete(queue, ctx);
  queueHold(queue, ctx);
  queueRelease(queue, ctx);
  queueHolds(queue, ctx);
  queueDead(queue, ctx);
  queueRedrive(queue, ctx);
}
