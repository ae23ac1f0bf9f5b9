/**
 * `strato trace <queue-id|Message-ID|address>`: the story of a message across the cluster from
 * the message history (core/ports/message-history.ts): each event with its time, the role and
 * process that recorded it, the recipient and details, plus where the message is now (its queue
 * entry if it is still queued; on SQS a first-attempt job is in no index, and history that says
 * accepted but not done shows it as queued there). An address (sender or recipient) or a
 * Message-ID may match several messages: one block each, newest first, at most --limit. This is
 * also how an operator finds a queued message by Message-ID, sender or recipient (`--queued`
 * keeps only those still queued). Nothing found: "no history for …", exit 1; a bad --limit, exit 2.
 */
import type { Command } from 'commander';
import { DEFAULT_HISTORY_DAYS } from '../../core/config/defaults.ts';
import { ENV } from '../../core/config/env-names.ts';
import type { QueueEntry } from '../../core/ports/mail-queue.ts';
import type { HistoryEvent } from '../../core/ports/message-history.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { isQueueId } from '../../core/util/ids.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { formatFields, formatTable, formatTime, type Printer } from '../output.ts';
import * as parse from '../parse.ts';
import { nextAttempt, sender } from './queue/common.ts';

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
  const what = input.trim();
  const storage = await ctx.storage();
  const ids = await matchingIds(storage, what, limit);
  const onSqs = ctx.io.env[ENV.storage] === 'aws';
  const found: Traced[] = [];
  for (const id of ids) {
    const traced = await traceOne(storage, id, onSqs);
    if (traced && (!opts.queued || traced.queued)) found.push(traced);
  }
  if (found.length === 0)
    throw new CliError(`no ${opts.queued ? 'queued message with ' : ''}history for ${what}`);
  ctx.out.result({ query: what, messages: found }, () => printAll(ctx.out, found));
}

/** A queue id names one message; else a Message-ID (with <>), an address, or a bare Message-ID. */
async function matchingIds(storage: Storage, what: string, limit: number): Promise<string[]> {
  const upper = what.toUpperCase();
  if (isQueueId(upper)) return [upper];
  if (what.startsWith('<')) return storage.history.queueIdsByMessageId(what, limit);
  const byAddress = what.includes('@') ? await storage.history.queueIdsByAddress(what, limit) : [];
  return byAddress.length > 0 ? byAddress : storage.history.queueIdsByMessageId(what, limit);
}

async function traceOne(storage: Storage, queueId: string, onSqs: boolean): Promise<Traced | undefined> {
  const [events, entry] = await Promise.all([storage.history.story(queueId), storage.queue.get(queueId)]);
  if (events.length === 0 && !entry) return undefined;
  const done = events.some((e) => e.kind === 'done');
  const accepted = events.some((e) => e.kind === 'accepted');
  let state: string;
  let queued = true;
  if (entry) {
    const next = nextAttempt(entry);
    state = `queued: ${entry.status}${next !== undefined ? `, next attempt ${formatTime(next)}` : ''}`;
  } else if (done) {
    state = 'done (left the queue)';
    queued = false;
  } else if (accepted && onSqs) {
    state = 'queued (first attempt, in SQS)';
  } else {
    state = accepted ? 'not in the queue (no end recorded)' : 'unknown';
    queued = false;
  }
  return { queueId, state, queued, queue: entry ?? null, events };
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
