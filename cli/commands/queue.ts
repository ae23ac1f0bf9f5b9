/**
 * `strato queue list|show|depth`: the operator's view of the shared mail queue: jobs with their
 * status, per-recipient state and next attempt, one job in full (with the message headers read
 * from the MessageStore), and the counts per status. Read-only.
 * A bad --status, --limit or queue id exits 2; an id not in the queue exits 1. A missing body is
 * shown as such in `queue show`, not treated as a failure.
 */
import type { Command } from 'commander';
import { formatReply } from '../../core/mail/smtp-replies.ts';
import type { QueueEntry, QueueEntryStatus } from '../../core/ports/mail-queue.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';
import { isQueueId } from '../../core/util/ids.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import {
  formatBytes,
  formatDuration,
  formatFields,
  formatRelative,
  formatTable,
  formatTime,
} from '../output.ts';
import * as parse from '../parse.ts';

const STATUSES: readonly QueueEntryStatus[] = ['ready', 'in-flight', 'delayed', 'dead'];
const HEADER_LIMIT = 64 * 1024;

/** When a processor may next attempt the job (undefined for dead jobs). */
function nextAttempt(e: QueueEntry): number | undefined {
  if (e.status === 'dead') return undefined;
  return Math.max(e.visibleAt, e.job.notBefore ?? 0);
}

const sender = (mailFrom: string): string => (mailFrom === '' ? '<>' : mailFrom);

function recipientsSummary(e: QueueEntry, max = 3): string {
  const rcpts = e.job.envelope.recipients;
  const shown = rcpts.slice(0, max).map((r) => `${r.address} (${r.state})`);
  if (rcpts.length > max) shown.push(`+${rcpts.length - max} more`);
  return shown.join(', ');
}

/** The header block of a stored body (up to the first empty line, at most 64 KiB). */
async function readHeaders(messages: MessageStore, key: string): Promise<string> {
  const stream = await messages.open(key);
  let text = '';
  try {
    for await (const chunk of stream) {
      text += Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk);
      const end = text.search(/\r?\n\r?\n/);
      if (end >= 0) return text.slice(0, end);
      if (text.length >= HEADER_LIMIT) return text.slice(0, HEADER_LIMIT);
    }
    return text;
  } finally {
    stream.destroy();
  }
}

/** Unfolded header fields, in order. */
function parseHeaders(block: string): { name: string; value: string }[] {
  const fields: { name: string; value: string }[] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) last.value += ` ${line.trim()}`;
    else {
      const colon = line.indexOf(':');
      if (colon > 0) fields.push({ name: line.slice(0, colon), value: line.slice(colon + 1).trim() });
    }
  }
  return fields;
}

export function registerQueue(program: Command, ctx: CliContext): void {
  const queue = program.command('queue').description('inspect the shared mail queue');

  queue
    .command('list')
    .description('list queued jobs, oldest first')
    .option('--status <status>', `only jobs in this status: ${STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most n jobs', '100')
    .action(async (opts: { status?: string; limit: string }) => {
      const status = opts.status === undefined ? undefined : parse.oneOf(opts.status, STATUSES, 'status');
      const limit = parse.positiveInt(opts.limit, 'limit');
      const storage = await ctx.storage();
      const entries = await storage.queue.list({ limit, ...(status ? { status } : {}) });
      entries.sort((a, b) => a.job.createdAt - b.job.createdAt || a.job.id.localeCompare(b.job.id));
      const now = Date.now();
      ctx.out.result(
        entries.map((e) => ({ ...e, nextAttemptAt: nextAttempt(e) ?? null })),
        () => {
          if (entries.length === 0) return ctx.out.line(status ? `no ${status} jobs` : 'queue is empty');
          ctx.out.line(
            formatTable(
              ['ID', 'AGE', 'FROM', 'RECIPIENTS', 'STATUS', 'RECEIVED', 'NEXT ATTEMPT'],
              entries.map((e) => {
                const next = nextAttempt(e);
                return [
                  e.job.id,
                  formatDuration(now - e.job.createdAt),
                  sender(e.job.envelope.mailFrom),
                  recipientsSummary(e),
                  e.status,
                  String(e.receiveCount),
                  next === undefined ? '-' : next <= now ? 'now' : formatRelative(next, now),
                ];
              }),
            ),
          );
          if (entries.length === limit) ctx.out.line(`(first ${limit} shown; use --limit for more)`);
        },
      );
    });

  queue
    .command('show')
    .description('show one job: envelope, per-recipient state and last reply, body size, message headers')
    .argument('<id>', 'queue id (20 characters, as in "250 Ok: queued as <id>")')
    .action(async (input: string) => {
      const id = input.trim().toUpperCase();
      if (!isQueueId(id))
        throw new UsageError(
          `invalid queue id "${input}": expected 20 characters such as 01JD0Q5Z8X3V7K2M4N6P`,
        );
      const storage = await ctx.storage();
      const entry = await storage.queue.get(id);
      if (!entry) throw new CliError(`queue job ${id} not found (delivered, removed, or never queued)`);
      const { job } = entry;
      let headers: string | undefined;
      let bodyProblem: string | undefined;
      try {
        headers = await readHeaders(storage.messages, job.body.key);
      } catch (err) {
        bodyProblem = err instanceof Error ? err.message : String(err);
      }
      const now = Date.now();
      const next = nextAttempt(entry);
      const env = job.envelope;
      ctx.out.result(
        {
          ...entry,
          nextAttemptAt: next ?? null,
          headers: headers === undefined ? null : parseHeaders(headers),
          ...(bodyProblem ? { bodyError: bodyProblem } : {}),
        },
        () => {
          const fields: [string, string][] = [
            ['Id', job.id],
            ['Status', entry.status],
            ['Source', job.source],
            ['Created', `${formatTime(job.createdAt)} (${formatDuration(now - job.createdAt)} ago)`],
            ['Received', `${entry.receiveCount} time(s)`],
            ['Attempts', String(job.attempts)],
            [
              'Next attempt',
              next === undefined ? '- (dead)' : `${formatTime(next)} (${formatRelative(next, now)})`,
            ],
            ['From', sender(env.mailFrom)],
            ['Body', `${job.body.key}, ${job.body.size} bytes (${formatBytes(job.body.size)})`],
          ];
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
          ctx.out.line(formatFields(fields));
          ctx.out.line();
          ctx.out.line('Recipients:');
          ctx.out.line(
            formatTable(
              ['ADDRESS', 'ORIGINAL', 'STATE', 'ATTEMPTS', 'UPDATED', 'LAST REPLY'],
              env.recipients.map((r) => [
                r.address,
                r.original === r.address ? '-' : r.original,
                r.state,
                String(r.attempts),
                formatTime(r.updatedAt),
                r.lastReply ? formatReply(r.lastReply) : '-',
              ]),
            ),
          );
          ctx.out.line();
          if (headers === undefined) ctx.out.line(`Headers: body not readable: ${bodyProblem}`);
          else {
            ctx.out.line('Headers:');
            ctx.out.line(headers.replace(/\r\n/g, '\n'));
          }
        },
      );
    });

  queue
    .command('depth')
    .description('count queued jobs per status')
    .action(async () => {
      const storage = await ctx.storage();
      const d = await storage.queue.depth();
      const total = d.ready + d.inFlight + d.delayed + d.dead;
      ctx.out.result({ ...d, total }, () =>
        ctx.out.line(
          formatFields([
            ['ready', String(d.ready)],
            ['in-flight', String(d.inFlight)],
            ['delayed', String(d.delayed)],
            ['dead', String(d.dead)],
            ['total', String(total)],
          ]),
        ),
      );
    });
}
