/**
 * Step 1c of message acceptance (accept-message.ts): the content filter (core/ports/content-filter.ts,
 * rspamd) scans the stored body once, at the end of DATA and before the cluster rules, with the
 * envelope (and the authenticated user on submission, so the filter treats it as outbound).
 *
 * What its answer does: `reject` → 550 5.7.1 with the filter's reason; `soft reject` and
 * `greylist` → 451 4.7.1; otherwise the message is stored again (as verify-stored.ts does for
 * Authentication-Results: a second body under a derived key, the first deleted) with X-Spam-Status,
 * X-Spam-Score, X-Spam-Action, X-Spam-Flag (YES for `add header` / `rewrite subject`) and
 * X-Strato-Filtered: <hostname> on top, and for `rewrite subject` the subject tagged. Cluster,
 * domain and account rules then see these headers like any other (a "Spam to Junk" account rule
 * on X-Spam-Flag works at delivery without a second scan).
 *
 * When the filter does not answer (down, slower than its timeout, a bad reply) or its breaker is
 * open (filter-breaker.ts): `failure: 'accept'` stores the message marked `X-Spam-Status:
 * unchecked`, `'tempfail'` answers 451 4.7.1. A store fault deletes what was stored and answers
 * 451 4.3.0; a refusal deletes the stored body. Nothing is queued on any refusal.
 */
import { Readable } from 'node:stream';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { ContentFilter, FilterEnvelope, FilterResult } from '../ports/content-filter.ts';
import type { Logger } from '../ports/logger.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { editMessageHeaders, type HeaderEdit } from '../rules/index.ts';
import { derivedQueueId } from '../util/ids.ts';
import { metrics } from '../util/metrics.ts';
import type { FilterBreaker } from './filter-breaker.ts';

/** What a scan without an answer means (STRATO_CONTENT_FILTER_FAILURE, core/config/defaults.ts). */
export type FilterFailureMode = 'accept' | 'tempfail';

export interface ContentScanDeps {
  readonly filter: ContentFilter;
  readonly breaker: FilterBreaker;
  readonly failure: FilterFailureMode;
  /** Named in X-Strato-Filtered, the mark of a message this cluster has filtered. */
  readonly hostname: string;
  /** Tag of a `rewrite subject` when the filter gives no subject of its own. */
  readonly subjectTag?: string;
}

export type ContentScanResult =
  | { readonly ok: true; readonly ref: BodyRef; readonly result?: FilterResult }
  | {
      readonly ok: false;
      readonly reason: 'spam' | 'filter-unavailable' | 'storage';
      readonly reply: Reply;
      readonly error?: unknown;
    };

export const FILTERED_MARK = 'X-Strato-Filtered';
const DEFAULT_SUBJECT_TAG = '***SPAM***';

/** The X-Spam-* headers (CRLF-terminated block) for a result, or for an unchecked message. */
export function spamHeaders(result: FilterResult | undefined, hostname: string): string {
  if (!result) return `X-Spam-Status: unchecked\r\n${FILTERED_MARK}: ${hostname}\r\n`;
  const spam = result.action === 'add header' || result.action === 'rewrite subject';
  const score = result.score.toFixed(2);
  const lines = [
    `X-Spam-Status: ${spam ? 'Yes' : 'No'}, score=${score} required=${result.requiredScore.toFixed(2)}`,
    `X-Spam-Score: ${score}`,
    `X-Spam-Action: ${result.action}`,
    `X-Spam-Flag: ${spam ? 'YES' : 'NO'}`,
    `${FILTERED_MARK}: ${hostname}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

async function* prefixed(header: string, body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield Buffer.from(header, 'latin1');
  for await (const chunk of body) yield chunk;
}

async function dropBody(messages: MessageStore, ref: BodyRef, log: Logger): Promise<void> {
  await messages.delete(ref).catch((err: unknown) => {
    log.warn({ event: 'intake.orphan_body', key: ref.key, err }, 'could not delete an unused body');
  });
}

/** The filter's answer, or undefined when it gave none (breaker open, failure, timeout). */
async function ask(
  deps: ContentScanDeps,
  messages: MessageStore,
  envelope: FilterEnvelope,
  stored: BodyRef,
  log: Logger,
): Promise<FilterResult | undefined> {
  if (deps.breaker.isOpen()) {
    metrics.count('ContentFilter', { Outcome: 'skipped' });
    return undefined;
  }
  const started = Date.now();
  try {
    const result = await deps.filter.scan(() => messages.open(stored), envelope);
    deps.breaker.success();
    metrics.count('ContentFilter', { Outcome: 'scanned' });
    log.info({
      event: 'filter.scanned',
      filter: deps.filter.name,
      action: result.action,
      score: result.score,
      requiredScore: result.requiredScore,
      symbols: result.symbols.length,
      ms: Date.now() - started,
    });
    return result;
  } catch (err) {
    metrics.count('ContentFilter', { Outcome: 'failed' });
    if (deps.breaker.failure()) metrics.count('ContentFilter', { Outcome: 'tripped' });
    log.warn({ event: 'filter.failed', filter: deps.filter.name, err, ms: Date.now() - started });
    return undefined;
  }
}

function refusal(deps: ContentScanDeps, result: FilterResult | undefined): ContentScanResult | undefined {
  if (!result) {
    if (deps.failure === 'tempfail')
      return { ok: false, reason: 'filter-unavailable', reply: replies.filterUnavailable() };
    return undefined;
  }
  const reason = result.reason ?? `score ${result.score.toFixed(2)}`;
  if (result.action === 'reject') return { ok: false, reason: 'spam', reply: replies.spamRejected(reason) };
  if (result.action === 'soft reject' || result.action === 'greylist')
    return { ok: false, reason: 'spam', reply: replies.spamDeferred(reason) };
  return undefined;
}

/** Scan the stored message; the ref of its copy with X-Spam-* headers, or a refusal. */
export async function scanStored(
  deps: ContentScanDeps,
  messages: MessageStore,
  envelope: FilterEnvelope,
  stored: BodyRef,
  log: Logger,
): Promise<ContentScanResult> {
  const result = await ask(deps, messages, envelope, stored, log);
  const refused = refusal(deps, result);
  if (refused) {
    await dropBody(messages, stored, log);
    return refused;
  }
  try {
    const edits: HeaderEdit[] =
      result?.action === 'rewrite subject'
        ? [{ kind: 'tag subject', tag: deps.subjectTag ?? DEFAULT_SUBJECT_TAG }]
        : [];
    const body = editMessageHeaders(edits, await messages.open(stored));
    const ref = await messages.put(
      derivedQueueId(envelope.queueId, 'content-filter'),
      Readable.from(prefixed(spamHeaders(result, deps.hostname), body)),
    );
    await dropBody(messages, stored, log);
    return { ok: true, ref, ...(result ? { result } : {}) };
  } catch (error) {
    await dropBody(messages, stored, log);
    log.error({ event: 'intake.store_failed', err: error }, 'filtered copy could not be stored');
    return { ok: false, reason: 'storage', reply: replies.localError(), error };
  }
}
