/**
 * The end-to-end phase: waits for the queue to drain of earlier traffic, sends N messages over
 * persistent SMTP sessions (spread over the given recipients), records each 250's queue id and
 * time, then polls the recipients' mailbox index until every message is stored. Reports delivered
 * messages/s (first accept → last stored), accept→stored latency and what is missing (with its
 * queue status). Failure: never hangs — when nothing new is stored for `stallMs` it stops and
 * reports "not delivered within timeout" (or "incomplete"); storage errors reject to the caller.
 */
import type { QueueEntryStatus, QueueOperator } from '../../core/ports/mail-queue.ts';
import type { MailboxStore } from '../../core/ports/mailbox-store.ts';
import { type LoadOptions, type LoadResult, percentile, runLoad } from './load.ts';
import { MailboxScanner, type ScanTotals } from './mailbox-scan.ts';

export interface E2eOptions {
  readonly load: Omit<LoadOptions, 'mode' | 'recipients'>;
  readonly recipients: readonly string[];
  readonly queue: QueueOperator;
  readonly mailboxes: MailboxStore;
  /** Give up when no new message has been stored for this long (also the drain wait's limit). */
  readonly stallMs: number;
  readonly stopped: () => boolean;
  readonly progress: (text: string) => void;
  /** Poll interval of the mailbox index. */
  readonly pollMs?: number;
  /** Where a message sent to a recipient ends up stored (--redirect: the rule's target). */
  readonly deliveredTo?: (recipient: string) => string;
}

export type E2eStatus = 'delivered' | 'incomplete' | 'not delivered within timeout' | 'interrupted';

export interface E2eReport {
  readonly status: E2eStatus;
  readonly recipients: readonly string[];
  readonly accepted: number;
  readonly delivered: number;
  readonly missing: number;
  /** Seconds from the first 250 to the last message stored. */
  readonly seconds: number | null;
  readonly deliveredPerSecond: number | null;
  /** Accept (250 read by the bench) → stored (the mailbox's internalDate), ms. */
  readonly latencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** Seconds waited after the last accept until the last message was stored or the timeout hit. */
  readonly drainSeconds: number;
  readonly stallTimeoutSeconds: number;
  readonly matched: ScanTotals;
  /** Missing ids by their queue status ("gone" = neither queued nor stored). */
  readonly missingByStatus: Partial<Record<QueueEntryStatus | 'gone', number>>;
  readonly missingIds: readonly string[];
  /** The queue before sending: whether earlier traffic had drained, and how long that took. */
  readonly settle: { readonly settled: boolean; readonly waitedSeconds: number; readonly backlog: number };
}

const round = (n: number | undefined, digits = 2): number | null =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Settle = E2eReport['settle'];

/**
 * Wait until no job is ready or in flight (delayed and dead ones do not count), so a phase does
 * not compete with the delivery of an earlier one; gives up when the backlog stops shrinking.
 */
export async function waitSettled(
  opts: Pick<E2eOptions, 'queue' | 'stallMs' | 'stopped' | 'progress'>,
): Promise<Settle> {
  const start = Date.now();
  let backlog = 0;
  let last = -1;
  let lastChange = start;
  let told = start;
  while (!opts.stopped()) {
    const d = await opts.queue.depth();
    backlog = d.ready + d.inFlight;
    if (backlog === 0)
      return { settled: true, waitedSeconds: round((Date.now() - start) / 1000, 1)!, backlog };
    if (backlog !== last) {
      last = backlog;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > opts.stallMs) break;
    if (Date.now() - told >= 5000) {
      told = Date.now();
      opts.progress(`waiting for ${backlog} earlier job(s) to leave the queue`);
    }
    await sleep(250);
  }
  return { settled: false, waitedSeconds: round((Date.now() - start) / 1000, 1)!, backlog };
}

export async function runE2e(opts: E2eOptions): Promise<{ load: LoadResult; report: E2eReport }> {
  const settle = await waitSettled(opts);
  const scanner = new MailboxScanner(opts.mailboxes);
  const storedAt = opts.deliveredTo ?? ((r: string) => r);
  await scanner.baseline([...new Set(opts.recipients.map(storedAt))]);
  const load = await runLoad({ ...opts.load, mode: 'reuse', recipients: opts.recipients });
  scanner.expect(load.accepts.map((a) => ({ ...a, recipient: storedAt(a.recipient) })));
  const sentAt = Date.now();
  const total = load.accepts.length;

  let found = await scanner.scan();
  let lastProgress = Date.now();
  let told = Date.now();
  let interrupted = false;
  while (found < total) {
    if (opts.stopped()) {
      interrupted = true;
      break;
    }
    if (Date.now() - lastProgress > opts.stallMs) break;
    if (Date.now() - told >= 5000) {
      told = Date.now();
      opts.progress(`e2e: ${found}/${total} stored`);
    }
    await sleep(opts.pollMs ?? 200);
    const now = await scanner.scan();
    if (now > found) lastProgress = Date.now();
    found = now;
  }
  const drainSeconds = round((Date.now() - sentAt) / 1000, 1)!;

  const byId = new Map(load.accepts.map((a) => [a.id, a]));
  const latencies: number[] = [];
  let firstAccept = Number.POSITIVE_INFINITY;
  let lastStored = Number.NEGATIVE_INFINITY;
  for (const a of load.accepts) firstAccept = Math.min(firstAccept, a.acceptedAt);
  for (const [id, f] of scanner.found) {
    latencies.push(f.storedAt - byId.get(id)!.acceptedAt);
    lastStored = Math.max(lastStored, f.storedAt);
  }
  const missingIds = load.accepts.map((a) => a.id).filter((id) => !scanner.found.has(id));
  const missingByStatus: Partial<Record<QueueEntryStatus | 'gone', number>> = {};
  for (const id of missingIds) {
    const status = (await opts.queue.get(id))?.status ?? 'gone';
    missingByStatus[status] = (missingByStatus[status] ?? 0) + 1;
  }
  const delivered = scanner.found.size;
  const spanMs = delivered > 0 ? lastStored - firstAccept : undefined;
  const status: E2eStatus = interrupted
    ? 'interrupted'
    : delivered === total
      ? 'delivered'
      : delivered === 0
        ? 'not delivered within timeout'
        : 'incomplete';
  return {
    load,
    report: {
      status,
      recipients: opts.recipients,
      accepted: total,
      delivered,
      missing: missingIds.length,
      seconds: spanMs === undefined ? null : round(spanMs / 1000, 3),
      deliveredPerSecond: spanMs === undefined || spanMs <= 0 ? null : round((delivered * 1000) / spanMs, 1),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.length ? latencies.reduce((a, b) => Math.max(a, b)) : undefined),
      },
      drainSeconds,
      stallTimeoutSeconds: round(opts.stallMs / 1000, 1)!,
      matched: scanner.summary,
      missingByStatus,
      missingIds: missingIds.slice(0, 100),
      settle,
    },
  };
}
