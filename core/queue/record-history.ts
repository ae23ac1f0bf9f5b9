/**
 * What queue processing records in the message history (core/ports/message-history.ts), one
 * helper per step of process-job.ts and attempt-delivery.ts: recipients relayed, recipients that failed (refused or expired), recipients
 * deferred with their reply and the next attempt, DSNs sent. Best-effort: each is a
 * HistoryRecorder.record call that never throws; without a recorder nothing happens.
 */
import type { RecipientOutcome } from '../mail/outcome.ts';
import { formatReply } from '../mail/smtp-replies.ts';
import type { JobRecipient, QueueJob } from '../ports/mail-queue.ts';
import type { HistoryRecorder } from '../util/history-recorder.ts';
import type { DsnKind } from './send-dsn.ts';

const replyOf = (r: JobRecipient) => (r.lastReply ? { reply: formatReply(r.lastReply) } : {});

/** An external recipient the relay took (its reply, e.g. the smarthost's 250). */
export function recordRelayed(
  history: HistoryRecorder | undefined,
  job: QueueJob,
  recipient: string,
  outcome: RecipientOutcome,
): void {
  history?.record(job.id, {
    kind: 'relayed',
    recipient,
    ...(outcome.reply ? { reply: formatReply(outcome.reply) } : {}),
  });
}

export function recordFailed(
  history: HistoryRecorder | undefined,
  job: QueueJob,
  settled: { readonly failed: readonly JobRecipient[] },
): void {
  for (const r of settled.failed)
    history?.record(job.id, { kind: 'failed', recipient: r.address, ...replyOf(r) });
}

/** Recipients this attempt (at `now`) left pending, with their reply and the next attempt. */
export function recordDeferred(
  history: HistoryRecorder | undefined,
  job: QueueJob,
  now: number,
  nextAttemptAt: number,
): void {
  for (const r of job.envelope.recipients) {
    if (r.state !== 'pending' || r.updatedAt !== now) continue;
    history?.record(job.id, { kind: 'deferred', recipient: r.address, ...replyOf(r), nextAttemptAt });
  }
}

export function recordDsn(
  history: HistoryRecorder | undefined,
  job: QueueJob,
  kind: DsnKind,
  dsnQueueId: string,
  recipients: readonly JobRecipient[],
): void {
  history?.record(job.id, {
    kind: 'dsn-sent',
    dsn: kind,
    dsnQueueId,
    recipients: recipients.map((r) => r.address),
  });
}
