/**
 * Test support for the whole pipeline on AWS adapters: creates a fresh set of resources on the
 * emulators of the run (queue + DLQ, queue index table, directory/mailbox/coordination tables,
 * spool and mailbox buckets) and opens AwsStorage on them, with every request counted.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createTables } from '../../adapters/aws/dynamo-tables.ts';
import { type AwsStorage, awsClientsFor, openAwsStorage } from '../../adapters/aws/open.ts';
import { createQueueIndexTable } from '../../adapters/aws/queue-index-table.ts';
import { RequestCounter } from '../../adapters/aws/request-counter.ts';
import { createMailQueueResources } from '../../adapters/aws/sqs-queue-setup.ts';
import type { StorageConfig } from '../../core/config/storage-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import type { Clock } from '../../core/ports/clock.ts';

export interface AwsMode {
  readonly config: StorageConfig;
  readonly storage: AwsStorage;
  readonly counter: RequestCounter;
  /** The environment variables that open this storage (STRATO_STORAGE=aws and the names). */
  readonly env: Readonly<Record<string, string>>;
}

export async function createAwsMode(
  opts: { clock?: Clock; maxReceiveCount?: number } = {},
): Promise<AwsMode> {
  const e = inject('emulators');
  const id = `t${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    STRATO_STORAGE: 'aws',
    AWS_REGION: e.region,
    STRATO_QUEUE_URL: 'http://placeholder.invalid/q',
    STRATO_DLQ_URL: 'http://placeholder.invalid/dlq',
    STRATO_QUEUE_INDEX_TABLE: `${id}-queue-index`,
    STRATO_SPOOL_BUCKET: `${id}-spool`,
    STRATO_MAILBOX_BUCKET: `${id}-mailboxes`,
    STRATO_DIRECTORY_TABLE: `${id}-directory`,
    STRATO_MAILBOX_TABLE: `${id}-mailboxes`,
    STRATO_COORDINATION_TABLE: `${id}-coordination`,
    STRATO_HISTORY_TABLE: `${id}-history`,
    STRATO_MAX_RECEIVE_COUNT: String(opts.maxReceiveCount ?? 5),
    STRATO_AWS_ENDPOINT_SQS: e.sqs,
    STRATO_AWS_ENDPOINT_S3: e.s3,
    STRATO_AWS_ENDPOINT_DYNAMODB: e.dynamodb,
    STRATO_AWS_ENDPOINT_SES: e.ses,
  };
  const base = parseStorageConfig(env);
  const setup = awsClientsFor(base);
  const queue = await createMailQueueResources(setup.sqs, `${id}-queue`, base.maxReceiveCount);
  await Promise.all([
    createQueueIndexTable(setup.dynamodbRaw, base.queueIndexTable!),
    createTables(setup.dynamodbRaw, {
      directory: base.directoryTable!,
      mailboxes: base.mailboxTable!,
      coordination: base.coordinationTable!,
      history: base.historyTable!,
    }),
    setup.s3.send(new CreateBucketCommand({ Bucket: base.spoolBucket! })),
    setup.s3.send(new CreateBucketCommand({ Bucket: base.mailboxBucket! })),
  ]);
  setup.destroy();
  const config = { ...base, queueUrl: queue.queueUrl, deadLetterQueueUrl: queue.deadLetterQueueUrl };
  const counter = new RequestCounter();
  const storage = openAwsStorage(config, { counter, ...(opts.clock ? { clock: opts.clock } : {}) });
  // The environment a process (or the CLI) opens this storage with.
  const processEnv = {
    ...env,
    STRATO_QUEUE_URL: queue.queueUrl,
    STRATO_DLQ_URL: queue.deadLetterQueueUrl,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  return { config, storage, counter, env: processEnv };
}
