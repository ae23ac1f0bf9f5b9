/**
 * `strato trace <queue-id|Message-ID|address>`: the story of a message across the cluster from
 * the message history (core/ports/message-history.ts): each event with its time, the role and
 * process that recorded it, the recipient and details, plus where the message is now (its queue
 * entry if it is still queued; on SQS a first-attempt job is in no index, and history that says
 * accepted but not done shows it as queued there). An address (sender or recipient) or a
 * Message-ID may match several messages: one block each, newest first, at most --limit. This is
 * also how an operator finds a queued message by Message-ID, sender or recipient (`--queued`
 * keeps only those still queued). Nothing found: "no history for …", exit 1; a bad --limit, exit 2.
 * The use case is core/admin/trace.ts.
 */
import type { Command } from 'commander';
import { type TracedMessage, type TraceWhere, traceMessage } from '../../core/admin/trace.ts';
import { DEFAULT_HISTORY_DAYS } from '../../core/config/defaults.ts';
import { ENV } from '../../core/config/env-names.ts';
import type { QueueEntry } from '../../core/ports/mail-queue.ts';
import type { HistoryEvent } from '../../core/ports/message-history.ts';
import type { CliContext } from '../context.ts';
import { formatFields, formatTable, formatTime, type Printer } from '../output.ts';
import * as parse from '../parse.ts';
import { sender } from './queue/common.ts';

interface TraceOptions {
  limit: string;
  queued?: boolean;
}

/** One message as trace shows it. */
interface Traced {
  readonly queueId: string;
  /** Where the message is now, in words. */
  readonly state: string;
  readonly queued: boolean;
  readonly queue: QueueEntry | null;
  readonly events: HistoryEvent[];
}

export function registerTrace(program: Command, ctx: CliContext): void {
  // Listed as "trace <what>": with its options the term would widen the whole command column.
  const help = program.createHelp();
  const term = help.subcommandTerm.bind(help);
  program.configureHelp({
    ...program.configureHelp(),
    subcommandTerm: (cmd) => (cmd.name() === 'trace' ? 'trace <what>' : term(cmd)),
  });
  program
    .command('trace')
    .description(
      'what happened to a message across the cluster, by queue id, Message-ID or address; finds queued mail',
    )
    .argument('<what>', 'queue id, Message-ID (e.g. "<id@host>") or an address (sender or recipient)')
    .option('--limit <n>', 'at most n messages when a Message-ID or address matches several', '10')
    .option('--queued', 'only messages still in the queue (find a queued message)')
    .addHelpText(
      'after',
      `\nHistory is kept $${ENV.historyDays} days (default ${DEFAULT_HISTORY_DAYS}) and is best-effort:\n` +
        'the queue and the mailboxes stay the truth.',
    )
    .action((what: string, opts: TraceOptions) => trace(ctx, what, opts));
}

async function trace(ctx: CliContext, input: string, opts: TraceOptions): Promise<void> {
  const limit = parse.positiveInt(opts.limit, 'limit');
  const storage = await ctx.storage();
  const r = await traceMessage(storage, input, {
    limit,
    ...(opts.queued ? { queuedOnly: true } : {}),
    onSqs: ctx.io.env[ENV.storage] === 'aws',
  });
  const found = r.messages.map(worded);
  ctx.out.result({ query: r.query, messages: found }, () => printAll(ctx.out, found));
}

const WHERE: Record<Exclude<TraceWhere, 'queued'>, string> = {
  'queued-first-attempt': 'queued (first attempt, in SQS)',
  done: 'done (left the queue)',
  gone: 'not in the queue (no end recorded)',
  unknown: 'unknown',
};

/** The use case's view with where it is now in words. */
function worded(m: TracedMessage): Traced {
  const next = m.nextAttemptAt;
  const state =
    m.where === 'queued' && m.queue
      ? `queued: ${m.queue.status}${next !== null ? `, next attempt ${formatTime(next)}` : ''}`
      : WHERE[m.where as Exclude<TraceWhere, 'queued'>];
  return { queueId: m.queueId, state, queued: m.queued, queue: m.queue, events: m.events };
}

function printAll(out: Printer, found: readonly Traced[]): void {
  found.forEach((t, i) => {
    if (i > 0) out.line();
    printOne(out, t);
  });
}

function printOne(out: Printer, t: Traced): void {
  const first = t.events.find((e) => e.kind === 'accepted');
  const fields: [string, string][] = [
    ['Queue id', t.queueId],
    ['State', t.state],
  ];
  if (first?.kind === 'accepted') {
    if (first.messageId) fields.push(['Message-ID', first.messageId]);
    fields.push(['From', sender(first.mailFrom)], ['To', first.recipients.join(', ')]);
  }
  out.line(formatFields(fields));
  if (t.events.length === 0) {
    out.line('(no history recorded)');
    return;
  }
  out.line(
    formatTable(
      ['TIME', 'BY', 'EVENT', 'RECIPIENT', 'DETAILS'],
      t.events.map((e) => [
        new Date(e.at).toISOString(),
        `${e.by.role} ${e.by.id}`,
        e.kind,
        'recipient' in e ? e.recipient : '-',
        details(e),
      ]),
    ),
  );
}

/** The event's own facts, one line. */
function details(e: HistoryEvent): string {
  switch (e.kind) {
    case 'accepted': {
      const parts = [
        `from=${sender(e.mailFrom)}`,
        `rcpts=${e.recipients.length}`,
        `size=${e.size}`,
        `source=${e.source}`,
      ];
      if (e.client) parts.push(`client=${e.client.ip} helo=${e.client.helo}`);
      if (e.client?.authUser) parts.push(`auth=${e.client.authUser}`);
      if (e.parent) parts.push(`parent=${e.parent}`);
      return parts.join(' ');
    }
    case 'stored':
      return `folder=${e.folder} account=${e.account} backend=${e.backend}`;
    case 'deferred':
      return `${e.reply ?? ''}${e.nextAttemptAt !== undefined ? ` (next attempt ${new Date(e.nextAttemptAt).toISOString()})` : ''}`.trim();
    case 'relayed':
    case 'failed':
      return e.reply ?? '-';
    case 'discarded':
      return e.because ?? '-';
    case 'dsn-sent':
      return `${e.dsn} DSN ${e.dsnQueueId} for ${e.recipients.join(', ')}`;
    case 'done':
      return `attempts=${e.attempts}`;
  }
}
