/**
 * `strato queue dead` (dead-lettered jobs: received maxReceiveCount times without finishing, with
 * their receive count and the last reply a pending recipient got) and `strato queue redrive
 * [--all|<id>...]` (start dead jobs over with a fresh receive count; --dry-run counts them). On SQS
 * the dead jobs are the ones whose last receive the index recorded; a redrive also takes their
 * copies out of the dead-letter queue. A bad id or neither ids nor --all: exit 2.
 */
import type { Command } from 'commander';
import { listDeadLetters, redriveDeadLetters } from '../../../core/admin/queue-holds.ts';
import type { CliContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { formatDuration } from '../../output.ts';
import * as parse from '../../parse.ts';
import { bulkDeps, report } from './bulk.ts';
import { queueId, sender } from './common.ts';

export function queueDead(group: Command, ctx: CliContext): void {
  group
    .command('dead')
    .description('list dead-lettered jobs with their receive count and last reply (redrive starts them over)')
    .option('--limit <n>', 'at most n jobs', '100')
    .action(async (opts: { limit: string }) => {
      const limit = parse.positiveInt(opts.limit, 'limit');
      const storage = await ctx.storage();
      const entries = await listDeadLetters(storage, { limit });
      const now = Date.now();
      ctx.out.resultTable(
        entries.map(({ nextAttemptAt: _, ...e }) => e),
        {
          headers: ['ID', 'AGE', 'FROM', 'RECIPIENTS', 'RECEIVED', 'LAST REPLY'],
          rows: entries.map((e) => [
            e.job.id,
            formatDuration(now - e.job.createdAt),
            sender(e.job.envelope.mailFrom),
            e.job.envelope.recipients
              .filter((r) => r.state === 'pending')
              .map((r) => r.address)
              .join(', '),
            String(e.receiveCount),
            e.lastReply ?? '-',
          ]),
          empty: 'no dead jobs',
        },
      );
    });
}

export function queueRedrive(group: Command, ctx: CliContext): void {
  group
    .command('redrive')
    .description('start dead jobs over (ready now, fresh receive count): the ids given, or --all')
    .argument('[id...]', 'queue ids of dead jobs')
    .option('--all', 'every dead job')
    .option('--dry-run', 'print how many and which jobs would be redriven, change nothing')
    .action(async (inputs: string[], opts: { all?: boolean; dryRun?: boolean }) => {
      if (opts.all && inputs.length > 0) throw new UsageError('give queue ids or --all, not both');
      if (!opts.all && inputs.length === 0) throw new UsageError('give the queue ids to redrive, or --all');
      const ids = inputs.map(queueId);
      const storage = await ctx.storage();
      // An unknown id stops the command before anything changed (exit 1); one not dead is skipped.
      const r = await redriveDeadLetters(bulkDeps(ctx, storage), {
        ...(opts.all ? { all: true } : { ids }),
        dryRun: opts.dryRun === true,
      });
      report(ctx, r);
    });
}
