/**
 * `strato queue list|show|depth|retry|bounce|delete`: the operator's view of the shared mail
 * queue (jobs with status, per-recipient state and next attempt; one job in full with the message
 * headers read from the MessageStore; counts per status) and the three actions on one waiting job
 * (core/delivery/operator-actions.ts). A bad --status, --limit, --reason or queue id exits 2; an id
 * not in the queue, a job in flight, or a bounce without a stored body exits 1. A missing body is
 * shown as such in `queue show`, not treated as a failure.
 */
import type { Command } from 'commander';
import { DEFAULT_HOSTNAME } from '../../core/config/defaults.ts';
import { ENV } from '../../core/config/env-names.ts';
import { readHeaderBlock } from '../../core/mail/header-block.ts';
import { formatReply } from '../../core/mail/smtp-replies.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { QueueEntry, QueueEntryStatus } from '../../core/ports/mail-queue.ts';
import {
  bounceJob,
  deleteJob,
  MAX_REASON_LENGTH,
  type Refusal,
  retryNow,
} from '../../core/queue/operator-actions.ts';
import { isQueueId } from '../../core/util/ids.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { headerFields, printable, rawHeaderText } from '../headers.ts';
import type { CliIo } from '../io.ts';
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

const ID_HELP = 'queue id (20 characters, as in "250 Ok: queued as <id>")';

/** A queue id as typed (any case), or UsageError. */
function queueId(input: string): string {
  const id = input.trim().toUpperCase();
  if (!isQueueId(id))
    throw new UsageError(`invalid queue id "${input}": expected 20 characters such as 01JD0Q5Z8X3V7K2M4N6P`);
  return id;
}

/** The one-line failure for a job an action could not touch (exit 1). */
function refused(id: string, r: Refusal): CliError {
  return r.reason === 'in-flight'
    ? new CliError(
        `queue job ${id} is being delivered right now (in flight); try again when the attempt ends`,
      )
    : new CliError(`queue job ${id} not found (delivered, removed, or never queued)`);
}

/** --reason: one line of printable ASCII (it goes into the DSN's Diagnostic-Code field). */
function bounceReason(input: string | undefined): string | undefined {
  if (input === undefined) return undefined;
  const text = input.trim();
  if (text === '') throw new UsageError('the bounce reason is empty');
  if (!/^[\x20-\x7e]*$/.test(text)) {
    throw new UsageError('the bounce reason must be one line of printable ASCII (it is quoted in the DSN)');
  }
  if (text.length > MAX_REASON_LENGTH) {
    throw new UsageError(`the bounce reason is ${text.length} characters long; at most ${MAX_REASON_LENGTH}`);
  }
  return text;
}

/** The reporting host a DSN names: STRATO_HOSTNAME with the default the cluster's processes use. */
function reportingHost(env: CliIo['env']): string {
  return env[ENV.hostname] || DEFAULT_HOSTNAME;
}

export function registerQueue(program: Command, ctx: CliContext): void {
  const queue = program
    .command('queue')
    .description('inspect the shared mail queue; retry, bounce or delete a job');

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
    .argument('<id>', ID_HELP)
    .action(async (input: string) => {
      const id = queueId(input);
      const storage = await ctx.storage();
      const entry = await storage.queue.get(id);
      if (!entry) throw new CliError(`queue job ${id} not found (delivered, removed, or never queued)`);
      const { job } = entry;
      let headers: Buffer | undefined;
      let bodyProblem: string | undefined;
      try {
        headers = await readHeaderBlock(await storage.messages.open(job.body.key));
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
          headers: headers === undefined ? null : headerFields(headers),
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
            ctx.out.line(printable(rawHeaderText(headers)));
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

  queue
    .command('retry')
    .description('attempt a waiting job now: make it ready and clear its retry time (a dead job starts over)')
    .argument('<id>', ID_HELP)
    .action(async (input: string) => {
      const id = queueId(input);
      const storage = await ctx.storage();
      const r = await retryNow(storage.queue, id);
      if (!r.ok) throw refused(id, r);
      const was = r.before.status;
      ctx.out.result({ id, status: 'ready', previousStatus: was }, () =>
        ctx.out.line(`queue job ${id} is ready (was ${was}); a queue processor will attempt it now`),
      );
    });

  queue
    .command('bounce')
    .description(
      'give up on a waiting job: remove it and send its sender one failed DSN (from <>) for the ' +
        'pending recipients whose NOTIFY asks for failures (never to a <> sender); then delete its body',
    )
    .argument('<id>', ID_HELP)
    .option(
      '--reason <text>',
      `why, quoted in the DSN as "550 5.7.1 rejected by the administrator: <text>" (ASCII, at most ${MAX_REASON_LENGTH} characters)`,
    )
    .action(async (input: string, opts: { reason?: string }) => {
      const id = queueId(input);
      const reason = bounceReason(opts.reason);
      const storage = await ctx.storage();
      const r = await bounceJob(
        {
          queue: storage.queue,
          messages: storage.messages,
          clock: systemClock,
          hostname: reportingHost(ctx.io.env),
        },
        id,
        reason,
      );
      if (!r.ok) {
        if (r.reason === 'body-missing') {
          throw new CliError(
            `queue job ${id} has no stored body, so no DSN can be built; "strato queue delete ${id}" removes it without a report`,
          );
        }
        throw refused(id, r);
      }
      const sender = r.job.envelope.mailFrom;
      const why = {
        'null-sender': 'the sender is <>',
        'dsn-job': 'it is itself a DSN',
        notify: 'no pending recipient asked for failure reports (NOTIFY)',
        'nothing-pending': 'no recipient was pending',
      } as const;
      ctx.out.result(
        {
          id,
          bounced: true,
          dsnId: r.dsnId ?? null,
          reportTo: r.dsnId ? sender : null,
          reported: r.reported,
          unreported: r.unreported,
          noReport: r.noReport ?? null,
          bodyError: r.bodyError ?? null,
        },
        () => {
          ctx.out.line(
            r.dsnId
              ? `queue job ${id} bounced: DSN ${r.dsnId} queued to ${sender} for ${r.reported.join(', ')}`
              : `queue job ${id} bounced without a DSN: ${why[r.noReport ?? 'notify']}`,
          );
          if (r.dsnId && r.unreported.length > 0)
            ctx.out.line(`not reported (NOTIFY): ${r.unreported.join(', ')}`);
          if (r.bodyError) ctx.out.line(`its body could not be deleted: ${r.bodyError}`);
        },
      );
    });

  queue
    .command('delete')
    .description('remove a waiting job and its body without any report to the sender')
    .argument('<id>', ID_HELP)
    .action(async (input: string) => {
      const id = queueId(input);
      const storage = await ctx.storage();
      const r = await deleteJob(storage.queue, storage.messages, id);
      if (!r.ok) throw refused(id, r);
      ctx.out.result({ id, deleted: true, bodyError: r.bodyError ?? null }, () => {
        ctx.out.line(`queue job ${id} deleted`);
        if (r.bodyError) ctx.out.line(`its body could not be deleted: ${r.bodyError}`);
      });
    });
}
