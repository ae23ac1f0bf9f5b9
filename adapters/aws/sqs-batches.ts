/**
 * The two batched SQS operations of the mail queue: sending copies (SendMessageBatch, with a
 * per-entry delay, at most 10 entries and ~1 MB per request) and deleting received messages
 * (DeleteMessageBatch). Failure: see TickBatcher; a receipt handle SQS no longer knows counts as
 * deleted (deleting twice, or a stale receipt, is a no-op as the port wants).
 */
import { DeleteMessageBatchCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type BatchEntryResult, TickBatcher } from './sqs-batcher.ts';

export interface SendEntry {
  readonly body: string;
  readonly delay: number;
}

/** SQS limits one batch request to 1 MiB in total; leave room for the request's own fields. */
const MAX_BATCH_BYTES = 1_000_000;

/** How long a delete waits for others to share its DeleteMessageBatch. */
export const DELETE_LINGER_MS = 100;

type Failed = { Id?: string; Code?: string; Message?: string; SenderFault?: boolean };

function failure(f: Failed): BatchEntryResult<never> {
  const error = Object.assign(new Error(`${f.Code ?? 'SQS'}: ${f.Message ?? 'batch entry failed'}`), {
    name: f.Code ?? 'SqsBatchEntryError',
  });
  return { ok: false, error, senderFault: f.SenderFault === true };
}

/** Batched SendMessage; each entry resolves to its MessageId. */
export function sendBatcher(sqs: SQSClient, queueUrl: string): TickBatcher<SendEntry, string> {
  return new TickBatcher<SendEntry, string>(
    async (entries) => {
      const out = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((e, i) => ({
            Id: `m${i}`,
            MessageBody: e.body,
            ...(e.delay > 0 ? { DelaySeconds: e.delay } : {}),
          })),
        }),
      );
      const ok = new Map((out.Successful ?? []).map((s) => [s.Id, s.MessageId ?? '']));
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      return entries.map((_, i): BatchEntryResult<string> => {
        if (ok.has(`m${i}`)) return { ok: true, value: ok.get(`m${i}`)! };
        return failure(failed.get(`m${i}`) ?? { Message: 'not in the answer' });
      });
    },
    { maxEntries: 10, maxBytes: MAX_BATCH_BYTES, sizeOf: (e) => Buffer.byteLength(e.body) },
  );
}

/** Batched DeleteMessage by receipt handle. */
export function deleteBatcher(sqs: SQSClient, queueUrl: string): TickBatcher<string, void> {
  return new TickBatcher<string, void>(
    async (handles) => {
      const out = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: handles.map((h, i) => ({ Id: `d${i}`, ReceiptHandle: h })),
        }),
      );
      const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
      return handles.map((_, i): BatchEntryResult<void> => {
        const f = failed.get(`d${i}`);
        if (!f || f.Code === 'ReceiptHandleIsInvalid') return { ok: true };
        return failure(f);
      });
    },
    // Acks wait up to DELETE_LINGER_MS to share a request. Durability does not depend on it: a
    // copy whose delete is late or lost comes back and is delivered again (idempotent appends).
    { maxEntries: 10, lingerMs: DELETE_LINGER_MS },
  );
}
