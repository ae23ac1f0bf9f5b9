/**
 * Dead letters are never silent: a job received maxReceiveCount times without an ack (repeated
 * processor deaths) goes dead in the queue and stays there for the operator (`strato queue dead`,
 * `queue redrive`). This sweep, run periodically by every queue processor (and on AWS by the
 * queue Lambda's schedule), reports each dead job once: it logs `queue.dead_lettered` (queueId,
 * receiveCount, pending recipients; the log-based count of dead letters) and sends one failed DSN
 * (from <>) to the sender for the pending recipients whose NOTIFY asks for failures, with
 * `5.3.0 processing failed repeatedly`. The dead job itself is left untouched (still redrivable).
 * "Once": the DSN's queue id is derived from the job id and its recipients, and the queue ignores
 * an id it holds or finished within 15 days, so a second sweep (another processor, a restart)
 * enqueues nothing new. The source's claim lets one sweeper report a job (on AWS a conditional
 * write on the queue index; embedded, every processor may) and `reported` takes it off the list;
 * the ids this process reported are remembered too, so it does not build and log them again.
 * Failure: a job whose report fails (storage fault, body gone) is logged as
 * `queue.dead_letter_report_failed` and tried again at a later sweep (once its claim ran out);
 * nothing is removed.
 */
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type {
  DeadLetterSource,
  JobRecipient,
  MailQueue,
  QueueEntry,
  QueueOperator,
} from '../ports/mail-queue.ts';
import type { MessageStore } from '../ports/message-store.ts';
import type { HistoryRecorder } from '../util/history-recorder.ts';
import { metrics } from '../util/metrics.ts';
import { sendDsn } from './send-dsn.ts';

export interface DeadLetterDeps {
  readonly source: DeadLetterSource;
  readonly queue: Pick<MailQueue, 'enqueue'>;
  readonly messages: MessageStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reporting MTA named in the DSN. */
  readonly hostname: string;
  readonly history?: HistoryRecorder;
}

/** Dead jobs looked at per sweep; more are reported at the next sweeps. */
const SWEEP_LIMIT = 100;
/** How long one sweeper holds a job's report before another may try it (a crash in between). */
export const DEAD_LETTER_CLAIM_MS = 5 * 60_000;

/**
 * The dead jobs an operator listing shows (the embedded queue: a cheap local query), as a
 * source every processor may report from; the DSN id keeps the DSN single.
 */
export function listedDeadLetters(operator: Pick<QueueOperator, 'list'>): DeadLetterSource {
  return {
    async unreported(limit) {
      const dead = await operator.list({ status: 'dead', limit });
      return dead.map((entry) => ({ entry, token: entry.job.id }));
    },
    claim: async () => true,
    reported: async () => {},
  };
}

const wantsFailureReport = (r: JobRecipient): boolean => (r.notify ? r.notify.includes('FAILURE') : true);

/**
 * Report every dead job not yet in `reported` (which it fills); answers the queue ids reported
 * by this sweep.
 */
export async function reportDeadLetters(deps: DeadLetterDeps, reported: Set<string>): Promise<string[]> {
  const dead = await deps.source.unreported(SWEEP_LIMIT);
  const done: string[] = [];
  for (const { entry, token } of dead) {
    if (reported.has(entry.job.id)) continue;
    try {
      // Another sweeper holds (or finished) this report: it is theirs.
      if (!(await deps.source.claim(token, DEAD_LETTER_CLAIM_MS))) continue;
      await reportOne(deps, entry);
      reported.add(entry.job.id);
      done.push(entry.job.id);
      await deps.source.reported(token);
    } catch (err) {
      deps.logger.error({
        event: 'queue.dead_letter_report_failed',
        queueId: entry.job.id,
        err: String(err),
      });
    }
  }
  return done;
}

/** Send the DSN (when one is owed) and log the event for one dead job. */
async function reportOne(deps: DeadLetterDeps, entry: QueueEntry): Promise<void> {
  const { job } = entry;
  const pending = job.envelope.recipients.filter((r) => r.state === 'pending');
  const reply = replies.deadLettered(entry.receiveCount);
  const now = deps.clock.now();
  // The DSN quotes the failure for each recipient; the dead job itself keeps its state.
  const failed = pending
    .filter(wantsFailureReport)
    .map((r) => ({ ...r, state: 'failed' as const, lastReply: reply, updatedAt: now }));
  const dsnId = failed.length > 0 ? await sendDsn(deps, job, 'failed', failed) : undefined;
  if (dsnId) metrics.count('DsnSent', { Kind: 'failed' });
  deps.logger.error({
    event: 'queue.dead_lettered',
    queueId: job.id,
    receiveCount: entry.receiveCount,
    pending: pending.map((r) => r.address),
    ...(dsnId ? { dsnId } : { noDsn: noDsnReason(job.envelope.mailFrom, job.source, failed.length) }),
  });
}

function noDsnReason(mailFrom: string, source: string, owed: number): string {
  if (mailFrom === '') return 'null-sender';
  if (source === 'DSN') return 'dsn-job';
  return owed === 0 ? 'nothing-owed' : 'unknown';
}

/**
 * Run `reportDeadLetters` every `everyMs` until the returned function is called; sweeps never
 * overlap, and a failing sweep (e.g. list fails) is logged and tried again at the next tick.
 */
export function startDeadLetterSweep(deps: DeadLetterDeps, everyMs: number): () => void {
  const reported = new Set<string>();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    reportDeadLetters(deps, reported)
      .catch((err: unknown) =>
        deps.logger.error({ event: 'queue.dead_letter_sweep_failed', err: String(err) }),
      )
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
