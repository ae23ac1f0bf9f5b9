/**
 * The queue Lambda's logic (queue processing as an SQS event-source consumer): each record goes
 * through the SQS queue's own receive check (stale or released copies are dropped) and then the
 * same core processJob as the frontends' processors. A record whose processing throws is
 * reported as a batch item failure (Powertools Batch), so only it returns to the queue. The
 * batch's message history is flushed before the invocation returns.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsMailQueue } from '../../adapters/aws/sqs-mail-queue.ts';
import { type ProcessorDeps, processJob } from '../../core/queue/process-job.ts';

export interface QueueHandlerDeps extends ProcessorDeps {
  readonly queue: SqsMailQueue;
  /** The event source's visibility timeout: how long this invocation holds each record. */
  readonly visibilitySeconds: number;
}

export function createQueueHandler(deps: QueueHandlerDeps) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const leaseUntil = deps.clock.now() + deps.visibilitySeconds * 1000;
    const leased = await deps.queue.admit(
      [
        {
          Body: record.body,
          ReceiptHandle: record.receiptHandle,
          MessageId: record.messageId,
          Attributes: { ApproximateReceiveCount: record.attributes.ApproximateReceiveCount },
        },
      ],
      leaseUntil,
    );
    for (const job of leased) await processJob(deps, job);
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const response = await processPartialResponse(event, handleRecord, processor, { context });
    // A frozen execution environment writes nothing: the batch's history goes out before returning.
    await deps.history?.flush();
    return response;
  };
}
