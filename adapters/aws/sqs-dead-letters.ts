/**
 * Takes one job's copies out of the dead-letter queue (operator releaseNow/remove of a dead job).
 * SQS cannot look into a queue without receiving, so this receives DLQ messages a few batches at
 * a time, deletes the job's copies and makes every other message visible again at once.
 * Failure: an SQS error propagates; messages not yet made visible reappear after `holdSeconds`.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { decodeCopy } from './sqs-copies.ts';

export interface DeadLetterSweepOptions {
  /** At most this many receives (10 messages each); a deep DLQ is not scanned to the end. */
  readonly maxBatches?: number;
  /** How long messages stay hidden during the sweep if it dies before releasing them. */
  readonly holdSeconds?: number;
}

/** Delete every DLQ copy of `jobId` found; answers how many were deleted. */
export async function deleteDeadCopies(
  sqs: SQSClient,
  dlqUrl: string,
  jobId: string,
  opts: DeadLetterSweepOptions = {},
): Promise<number> {
  const held: Message[] = [];
  const matches: Message[] = [];
  try {
    for (let i = 0; i < (opts.maxBatches ?? 10); i++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: opts.holdSeconds ?? 30,
          // Long polling asks every SQS server, so a message is not missed by sampling.
          WaitTimeSeconds: 1,
        }),
      );
      const got = out.Messages ?? [];
      if (got.length === 0) break;
      let found = false;
      for (const m of got) {
        if (decodeCopy(m.Body)?.job.id === jobId) {
          matches.push(m);
          found = true;
        } else held.push(m);
      }
      if (found) break;
    }
    for (let i = 0; i < matches.length; i += 10) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlqUrl,
          Entries: matches.slice(i, i + 10).map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    return matches.length;
  } finally {
    for (let i = 0; i < held.length; i += 10) {
      await sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: dlqUrl,
            Entries: held
              .slice(i, i + 10)
              .map((m, j) => ({ Id: `v${j}`, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 })),
          }),
        )
        .catch(() => {});
    }
  }
}
