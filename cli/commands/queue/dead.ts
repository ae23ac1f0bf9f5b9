/**
 * `strato queue dead` (dead-lettered jobs: received maxReceiveCount times without finishing, with
 * their receive count and the last reply a pending recipient got) and `strato queue redrive
 * [--all|<id>...]` (start dead jobs over with a fresh receive count; --dry-run counts them). On SQS
 * the dead jobs are the ones whose last receive the index recorded; a redrive also takes their
 * copies out of the dead-letter queue. A bad id or neither ids nor --all: exit 2.
 */
import type { Command } from 'commander';
import { formatReply } from '../../../core/mail/smtp-replies.ts';
import type { QueueEntry } from '../../../core/ports/mail-queue.ts';
import { SCAN_LIMIT } from '../../../core/queue/hold-actions.ts';
import type { CliContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { formatDuration } from '../../output.ts';
import * as parse from '../../parse.ts';
import { runOn } from './bulk.ts';
import { notQueued, queueId, sender } from './common.ts';

/** The newest reply any still-pending recipient got, as text. */
function lastReply(e: QueueEntry): string | undefined {
  const replies = e.job.envelope.recipients
    .filter((r) => r.state === 'pending' && r.lastReply)
    .sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0));
  return replies[0]?.lastReply ? formatReply(replies[0].lastReply) : undefined;
}

export function queueDead(group: Command, ctx: CliContext): void {
  group
    .command('dead')
    .description('list dead-lettered jobs with their receive count and last reply (redrive starts them over)')
    .option('--limit <n>', 'at most n jobs', '100')
    .action(async (opts: { limit: string }) => {
      const limit = parse.positiveInt(opts.limit, 'limit');
      const storage = await ctx.storage();
      const entries = await storage.queue.list({ status: 'dead', limit });
      const now = Date.now();
      ctx.out.resultTable(
        entries.map((e) => ({ ...e, lastReply: lastReply(e) ?? null })),
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
            lastReply(e) ?? '-',
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
      const ids = new Set(inputs.map(queueId));
      const storage = await ctx.storage();
      let entries: QueueEntry[];
      if (opts.all) entries = await storage.queue.list({ status: 'dead', limit: SCAN_LIMIT });
      else {
        entries = [];
        for (const id of ids) {
          const e = await storage.queue.get(id);
          // An unknown id stops the command before anything changed; one that is not dead is
          // reported as skipped.
          if (!e) throw notQueued(id);
          entries.push(e);
        }
      }
      await runOn(ctx, storage, 'redrive', entries, { dryRun: opts.dryRun === true });
    });
}
