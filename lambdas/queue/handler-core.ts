/**
 * The queue Lambda's logic (queue processing as an SQS event-source consumer): each record goes
 * through the SQS queue's own receive check (stale or released copies are dropped) and then the
 * same core processJob as the frontends' processors. A record whose processing throws is
 * reported as a batch item failure (Powertools Batch), so only it returns to the queue; so is a
 * record the queue must keep (another invocation holds its lease: reporting it done would make
 * the event source delete the only copy of a job nobody delivered). The
 * batch's message history is flushed before the invocation returns.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsMailQueue } from '../../adapters/aws/sqs-mail-queue.ts';
import { type ProcessorDeps, processJob } from '../../core/queue/process-job.ts';
import type { RetrySchedule } from '../../core/queue/retry-schedule.ts';

export interface QueueHandlerDeps extends ProcessorDeps {
  readonly queue: SqsMailQueue;
  /** The event source's visibility timeout: how long this invocation holds each record. */
  readonly visibilitySeconds: number;
  /**
   * The retry schedule for this batch (the cluster's stored retry and lifetime over the
   * environment's; read once per batch). Without it, `schedule` applies.
   */
  readonly readSchedule?: () => Promise<RetrySchedule>;
}

/** A record left in the queue on purpose (a batch item failure, not a fault). */
export class RecordKeptError extends Error {
  constructor(messageId: string) {
    super(`record ${messageId} stays in the queue`);
    this.name = 'RecordKeptError';
  }
}

export function createQueueHandler(deps: QueueHandlerDeps) {
  const processor = new BatchProcessor(EventType.SQS);
  let batchDeps: ProcessorDeps = deps;
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const admitted = await deps.queue.admitRecord(
      {
        Body: record.body,
        ReceiptHandle: record.receiptHandle,
        MessageId: record.messageId,
        Attributes: { ApproximateReceiveCount: record.attributes.ApproximateReceiveCount },
      },
      deps.visibilitySeconds,
    );
    // Success would make the event source delete the message: a record held under a live lease
    // elsewhere (or one we cannot read) must stay in the queue, so it is reported as failed.
    if (admitted.kind === 'kept') throw new RecordKeptError(record.messageId);
    if (admitted.kind === 'leased') await processJob(batchDeps, admitted.job);
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    batchDeps = deps.readSchedule ? { ...deps, schedule: await deps.readSchedule() } : deps;
    // A batch whose records all failed is answered as a partial response when every failure is a
    // kept record (no fault: it must not count on the Errors alarm); a batch that failed
    // entirely for real faults still fails the invocation, as Powertools would.
    const response = await processPartialResponse(event, handleRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
    // A frozen execution environment writes nothing: the batch's history goes out before returning.
    await deps.history?.flush();
    const faults = processor.errors.filter((e) => !(e instanceof RecordKeptError));
    if (
      event.Records.length > 0 &&
      response.batchItemFailures.length === event.Records.length &&
      faults.length > 0
    )
      throw new Error(`every record of the batch failed: ${faults.map(String).join('; ')}`);
    return response;
  };
}
