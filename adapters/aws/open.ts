/**
 * Opens the AWS storage of a cluster process: SQS queue (+ DLQ and index table), S3 spool and
 * mailbox buckets, DynamoDB directory, coordination, mailbox and history tables, from the names the
 * deployment sets. Clients are created lazily; a request counter can be attached to all of them
 * (requests per delivered message). Nothing is contacted at open: a wrong name fails at first use.
 */
import type { StorageConfig } from '../../core/config/storage-config.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { type AwsClients, awsClients } from './aws-clients.ts';
import { DynamoAccountLeases } from './dynamo-account-leases.ts';
import { DynamoAdminStore } from './dynamo-admin-store.ts';
import { DynamoAutoReplyMemory } from './dynamo-auto-reply-memory.ts';
import { DynamoBackendRegistry } from './dynamo-backend-registry.ts';
import { DynamoClientSessions } from './dynamo-client-sessions.ts';
import { DynamoClusterControl } from './dynamo-cluster-control.ts';
import { DynamoCounters } from './dynamo-counters.ts';
import { DynamoDirectory } from './dynamo-directory.ts';
import { DynamoMessageHistory } from './dynamo-message-history.ts';
import { DynamoQueueHolds } from './dynamo-queue-holds.ts';
import { DynamoRuleStore } from './dynamo-rule-store.ts';
import { DynamoSuppressions } from './dynamo-suppressions.ts';
import type { RequestCounter } from './request-counter.ts';
import { S3MailboxStore } from './s3-mailbox-store.ts';
import { S3MessageStore } from './s3-message-store.ts';
import { SqsMailQueue } from './sqs-mail-queue.ts';

export interface AwsStorage extends Storage {
  readonly queue: SqsMailQueue;
  readonly clients: AwsClients;
}

export function awsClientsFor(config: StorageConfig, counter?: RequestCounter): AwsClients {
  const endpoints = {
    ...(config.endpointSqs ? { sqs: config.endpointSqs } : {}),
    ...(config.endpointS3 ? { s3: config.endpointS3 } : {}),
    ...(config.endpointDynamodb ? { dynamodb: config.endpointDynamodb } : {}),
    ...(config.endpointSes ? { ses: config.endpointSes } : {}),
    ...(config.endpointLambda ? { lambda: config.endpointLambda } : {}),
  };
  const local = Object.keys(endpoints).length > 0;
  const clients = awsClients({
    region: config.region,
    endpoints,
    // Emulators accept any key; a real deployment uses the task or function role.
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  if (counter) {
    for (const c of [clients.sqs, clients.s3, clients.dynamodbRaw, clients.ses, clients.lambda])
      counter.attach(c);
  }
  return clients;
}

export function openAwsStorage(
  config: StorageConfig,
  opts: { clock?: Clock; counter?: RequestCounter; clients?: AwsClients } = {},
): AwsStorage {
  const clock = opts.clock ?? systemClock;
  const clients = opts.clients ?? awsClientsFor(config, opts.counter);
  const need = (v: string | undefined, what: string): string => {
    if (!v) throw new Error(`AWS storage needs ${what}`);
    return v;
  };
  const table = (name: string | undefined, what: string) => ({
    client: clients.dynamodb,
    tableName: need(name, what),
  });
  const coordination = table(config.coordinationTable, 'the coordination table');
  const directoryTable = table(config.directoryTable, 'the directory table');
  const queue = new SqsMailQueue({
    sqs: clients.sqs,
    dynamodb: clients.dynamodb,
    queueUrl: need(config.queueUrl, 'the queue URL'),
    deadLetterQueueUrl: need(config.deadLetterQueueUrl, 'the dead-letter queue URL'),
    indexTable: need(config.queueIndexTable, 'the queue index table'),
    maxReceiveCount: config.maxReceiveCount,
    maxQueued: config.maxQueued,
    clock,
  });
  return {
    clients,
    queue,
    deadLetters: queue.deadLetters,
    messages: new S3MessageStore({
      s3: clients.s3,
      bucket: need(config.spoolBucket, 'the spool bucket'),
      prefix: 'spool/',
      // The spool bucket's lifecycle rule (cdk/constructs/mail-storage.ts) expires every body,
      // delivered or orphaned: no DeleteObject per delivered message.
      expiresBodies: true,
    }),
    directory: new DynamoDirectory(directoryTable),
    rules: new DynamoRuleStore(directoryTable, { clock }),
    autoReplies: new DynamoAutoReplyMemory(coordination, { clock }),
    leases: new DynamoAccountLeases(coordination, { clock }),
    counters: new DynamoCounters(coordination, { clock }),
    clientSessions: new DynamoClientSessions(coordination, { clock }),
    backends: new DynamoBackendRegistry(coordination, { clock }),
    holds: new DynamoQueueHolds(coordination),
    suppressions: new DynamoSuppressions(coordination),
    history: new DynamoMessageHistory(table(config.historyTable, 'the history table'), {
      clock,
      retentionMs: config.historyDays * 86_400_000,
    }),
    control: new DynamoClusterControl(coordination, { clock }),
    admin: new DynamoAdminStore(coordination),
    mailboxes: new S3MailboxStore({
      dynamo: table(config.mailboxTable, 'the mailbox table'),
      s3: clients.s3,
      bucket: need(config.mailboxBucket, 'the mailbox bucket'),
      clock,
      usageCacheMs: config.mailboxUsageCacheMs,
    }),
    async close() {
      queue.close?.();
      clients.destroy();
    },
  };
}
