/**
 * Creates the AWS resources of one Strato cluster on local emulators (queue + DLQ, queue index,
 * directory/mailbox/coordination tables, spool and mailbox buckets) and returns the environment
 * a process needs to use them (STRATO_STORAGE=aws, names, emulator endpoints). Used by
 * `npm run start:aws-local` and the AWS-mode benchmark. A failure rejects with the SDK's error.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { awsClients } from '../adapters/aws/aws-clients.ts';
import { createTables } from '../adapters/aws/dynamo-tables.ts';
import { createQueueIndexTable } from '../adapters/aws/queue-index-table.ts';
import { createMailQueueResources } from '../adapters/aws/sqs-queue-setup.ts';
import type { EmulatorEndpoints } from '../adapters/aws/testing/emulators.ts';
import { ENV } from '../core/config/env-names.ts';

export async function createLocalAwsResources(
  endpoints: EmulatorEndpoints,
  prefix = 'strato',
  maxReceiveCount = 20,
): Promise<Record<string, string>> {
  const clients = awsClients({
    region: endpoints.region,
    endpoints,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const names = {
      queueIndex: `${prefix}-queue-index`,
      directory: `${prefix}-directory`,
      mailboxes: `${prefix}-mailboxes`,
      coordination: `${prefix}-coordination`,
      history: `${prefix}-history`,
      spool: `${prefix}-spool`,
      mailboxBucket: `${prefix}-mailbox-store`,
    };
    const queue = await createMailQueueResources(clients.sqs, `${prefix}-queue`, maxReceiveCount);
    await Promise.all([
      createQueueIndexTable(clients.dynamodbRaw, names.queueIndex),
      createTables(clients.dynamodbRaw, {
        directory: names.directory,
        mailboxes: names.mailboxes,
        coordination: names.coordination,
        history: names.history,
      }),
      clients.s3.send(new CreateBucketCommand({ Bucket: names.spool })),
      clients.s3.send(new CreateBucketCommand({ Bucket: names.mailboxBucket })),
    ]);
    return {
      [ENV.storage]: 'aws',
      [ENV.awsRegion]: endpoints.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      [ENV.queueUrl]: queue.queueUrl,
      [ENV.deadLetterQueueUrl]: queue.deadLetterQueueUrl,
      [ENV.maxReceiveCount]: String(maxReceiveCount),
      [ENV.queueIndexTable]: names.queueIndex,
      [ENV.directoryTable]: names.directory,
      [ENV.mailboxTable]: names.mailboxes,
      [ENV.coordinationTable]: names.coordination,
      [ENV.historyTable]: names.history,
      [ENV.spoolBucket]: names.spool,
      [ENV.mailboxBucket]: names.mailboxBucket,
      [ENV.endpointSqs]: endpoints.sqs,
      [ENV.endpointS3]: endpoints.s3,
      [ENV.endpointDynamodb]: endpoints.dynamodb,
      [ENV.endpointSes]: endpoints.ses,
    };
  } finally {
    clients.destroy();
  }
}
