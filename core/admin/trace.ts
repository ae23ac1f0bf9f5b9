/**
 * A message's story across the cluster (`strato trace` and the WebAdmin), from the message
 * history (core/ports/message-history.ts): by queue id, by Message-ID (with or without <>), or by
 * an address (sender or recipient; several messages, newest first, at most `limit`). Each message
 * comes with its events and where it is now: still queued (its queue entry), queued for a first
 * attempt on SQS (in no index: history says accepted but not done), done, gone without a recorded
 * end, or unknown. `queuedOnly` keeps the messages still queued (how an operator finds queued
 * mail by Message-ID or address). Scope: with `domains`, only messages whose sender or a
 * recipient (in its history or its queue entry) is in those domains. Nothing found:
 * NotFoundAdminError; a bad limit: InvalidInputError('limit'). Storage faults propagate.
 */
import type { QueueEntry, QueueOperator } from '../ports/mail-queue.ts';
import type { HistoryEvent, MessageHistory } from '../ports/message-history.ts';
import { isQueueId } from '../util/ids.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { inScope, nextAttempt, type Scope } from './queue-scope.ts';

export interface TraceDeps {
  readonly history: Pick<MessageHistory, 'story' | 'queueIdsByMessageId' | 'queueIdsByAddress'>;
  readonly queue: Pick<QueueOperator, 'get'>;
}

export interface TraceQuery extends Scope {
  /** At most this many messages when a Message-ID or address matches several (default 10). */
  readonly limit?: number;
  readonly queuedOnly?: boolean;
  /** Storage is AWS: a first-attempt job is in SQS only, so accepted-not-done means queued. */
  readonly onSqs?: boolean;
}

/** Where a message is now. */
export type TraceWhere = 'queued' | 'queued-first-attempt' | 'done' | 'gone' | 'unknown';

export interface TracedMessage {
  readonly queueId: string;
  readonly where: TraceWhere;
  readonly queued: boolean;
  readonly queue: QueueEntry | null;
  /** When a processor may next attempt it (null: not queued, dead or held). */
  readonly nextAttemptAt: number | null;
  readonly events: HistoryEvent[];
}

export interface TraceResult {
  readonly query: string;
  readonly messages: TracedMessage[];
}

/** A queue id names one message; else a Message-ID (with <>), an address, or a bare Message-ID. */
async function matchingIds(deps: TraceDeps, what: string, limit: number): Promise<string[]> {
  const upper = what.toUpperCase();
  if (isQueueId(upper)) return [upper];
  if (what.startsWith('<')) return deps.history.queueIdsByMessageId(what, limit);
  const byAddress = what.includes('@') ? await deps.history.queueIdsByAddress(what, limit) : [];
  return byAddress.length > 0 ? byAddress : deps.history.queueIdsByMessageId(what, limit);
}

function whereIs(events: readonly HistoryEvent[], entry: QueueEntry | undefined, onSqs: boolean): TraceWhere {
  if (entry) return 'queued';
  if (events.some((e) => e.kind === 'done')) return 'done';
  const accepted = events.some((e) => e.kind === 'accepted');
  if (accepted && onSqs) return 'queued-first-attempt';
  return accepted ? 'gone' : 'unknown';
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** Whether the message's history or queue entry names one of the scope's domains. */
function traceInScope(scope: Scope, events: readonly HistoryEvent[], entry: QueueEntry | undefined): boolean {
  if (scope.domains === undefined) return true;
  if (entry && inScope(scope, entry)) return true;
  const want = new Set(scope.domains.map((d) => d.toLowerCase()));
  const addresses = events.flatMap((e) => [
    ...(e.kind === 'accepted' ? [e.mailFrom, ...e.recipients] : []),
    ...('recipient' in e && typeof e.recipient === 'string' ? [e.recipient] : []),
  ]);
  return addresses.some((a) => a !== '' && want.has(domainOf(a)));
}

async function traceOne(deps: TraceDeps, queueId: string, q: TraceQuery): Promise<TracedMessage | undefined> {
  const [events, entry] = await Promise.all([deps.history.story(queueId), deps.queue.get(queueId)]);
  if (events.length === 0 && !entry) return undefined;
  if (!traceInScope(q, events, entry)) return undefined;
  const where = whereIs(events, entry, q.onSqs === true);
  return {
    queueId,
    where,
    queued: where === 'queued' || where === 'queued-first-attempt',
    queue: entry ?? null,
    nextAttemptAt: entry ? (nextAttempt(entry) ?? null) : null,
    events,
  };
}

export async function traceMessage(deps: TraceDeps, input: string, q: TraceQuery = {}): Promise<TraceResult> {
  const limit = q.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError('limit', 'limit must be a positive integer');
  const what = input.trim();
  const messages: TracedMessage[] = [];
  for (const id of await matchingIds(deps, what, limit)) {
    const traced = await traceOne(deps, id, q);
    if (traced && (!q.queuedOnly || traced.queued)) messages.push(traced);
  }
  if (messages.length === 0)
    throw new NotFoundAdminError(
      'message',
      what,
      `no ${q.queuedOnly ? 'queued message with ' : ''}history for ${what}`,
    );
  return { query: what, messages };
}
