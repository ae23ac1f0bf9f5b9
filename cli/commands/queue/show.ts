/**
 * `strato queue show <id>`: one job in full: envelope and job facts, each recipient's state and
 * last reply, and the message headers read from the MessageStore. A body that cannot be read is
 * shown as such (and as bodyError with --json), not treated as a failure. The use case is
 * core/admin/queue.ts (showQueueJob).
 */
import type { Command } from 'commander';
import { type QueueJobDetail, showQueueJob } from '../../../core/admin/queue.ts';
import { formatReply } from '../../../core/mail/smtp-replies.ts';
import type { QueueEntry } from '../../../core/ports/mail-queue.ts';
import type { CliContext } from '../../context.ts';
import { printable } from '../../headers.ts';
import type { Printer } from '../../output.ts';
import {
  formatBytes,
  formatDuration,
  formatFields,
  formatRelative,
  formatTable,
  formatTime,
} from '../../output.ts';
import { ID_HELP, nextAttempt, queueId, sender } from './common.ts';

export function queueShow(group: Command, ctx: CliContext): void {
  group
    .command('show')
    .description('show one job: envelope, per-recipient state and last reply, body size, message headers')
    .argument('<id>', ID_HELP)
    .action((input: string) => showJob(ctx, input));
}

async function showJob(ctx: CliContext, input: string): Promise<void> {
  const id = queueId(input);
  const { headerText, ...detail } = await showQueueJob(await ctx.storage(), id);
  const now = Date.now();
  ctx.out.result(detail, () => printJob(ctx.out, detail, headerText, now));
}

function printJob(
  out: Printer,
  entry: Omit<QueueJobDetail, 'headerText'>,
  headerText: string | null,
  now: number,
): void {
  out.line(formatFields(jobFields(entry, now)));
  out.line();
  out.line('Recipients:');
  out.line(
    formatTable(
      ['ADDRESS', 'ORIGINAL', 'STATE', 'ATTEMPTS', 'UPDATED', 'LAST REPLY'],
      entry.job.envelope.recipients.map((r) => [
        r.address,
        r.original === r.address ? '-' : r.original,
        r.state,
        String(r.attempts),
        formatTime(r.updatedAt),
        r.lastReply ? formatReply(r.lastReply) : '-',
      ]),
    ),
  );
  out.line();
  if (headerText === null) out.line(`Headers: body not readable: ${entry.bodyError}`);
  else {
    out.line('Headers:');
    out.line(printable(headerText));
  }
}

/** The "Label: value" block: what every job has, then what only some have. */
function jobFields(entry: QueueEntry, now: number): [string, string][] {
  const { job } = entry;
  const next = nextAttempt(entry);
  return [
    ['Id', job.id],
    ['Status', entry.status],
    ['Source', job.source],
    ['Created', `${formatTime(job.createdAt)} (${formatDuration(now - job.createdAt)} ago)`],
    ['Received', `${entry.receiveCount} time(s)`],
    ['Attempts', String(job.attempts)],
    [
      'Next attempt',
      next === undefined ? `- (${entry.status})` : `${formatTime(next)} (${formatRelative(next, now)})`,
    ],
    ['From', sender(job.envelope.mailFrom)],
    ['Body', `${job.body.key}, ${job.body.size} bytes (${formatBytes(job.body.size)})`],
    ...optionalFields(entry),
  ];
}

function optionalFields({ job }: QueueEntry): [string, string][] {
  const env = job.envelope;
  const fields: [string, string][] = [];
  if (job.notBefore !== undefined) fields.push(['Not before', formatTime(job.notBefore)]);
  if (job.warnedAt !== undefined) fields.push(['Delay warning', `sent ${formatTime(job.warnedAt)}`]);
  if (env.envid !== undefined) fields.push(['ENVID', env.envid]);
  if (env.ret !== undefined) fields.push(['RET', env.ret]);
  if (env.bodyType !== undefined || env.smtputf8) {
    fields.push(['Body type', `${env.bodyType ?? '7BIT'}${env.smtputf8 ? ', SMTPUTF8' : ''}`]);
  }
  if (job.client) {
    const c = job.client;
    fields.push([
      'Client',
      `${c.ip} helo=${c.helo}${c.authUser ? ` auth=${c.authUser}` : ''}${c.tls ? ' tls' : ''} via ${c.frontend}`,
    ]);
  }
  return fields;
}
