/**
 * The shared mail queue: SQS queue + dead-letter queue (SSE, TLS-only, 14-day retention so no
 * deferred job expires before its 5-day lifetime) and the queue index table (key `id`, TTL `ttl`).
 * Owns the queue grants and the variables naming them.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  QUEUE_INDEX_DEAD_INDEX,
  QUEUE_INDEX_DEAD_KEY,
  QUEUE_INDEX_DEAD_SORT_KEY,
  QUEUE_INDEX_PARTITION_KEY,
  QUEUE_INDEX_TTL_ATTRIBUTE,
} from '../../adapters/aws/queue-index-table.ts';
import { ENV } from '../../core/config/env-names.ts';
import { allow } from './iam.ts';

export interface MailQueueProps {
  readonly retainData: boolean;
  readonly maxReceiveCount: number;
  /** The processors' visibility timeout; the queue's default visibility is the same. */
  readonly visibilitySeconds: number;
}

export const QUEUE_RETENTION_DAYS = 14;

/** Queue processing (frontends, queue Lambda): everything but purge/admin on queue and DLQ. */
export const QUEUE_PROCESSOR_SQS_ACTIONS = [
  'sqs:SendMessage',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
] as const;

export class MailQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly indexTable: TableV2;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: MailQueueProps) {
    super(scope, id);
    const common = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(QUEUE_RETENTION_DAYS),
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    } as const;
    this.maxReceiveCount = props.maxReceiveCount;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', common);
    this.queue = new Queue(this, 'Queue', {
      ...common,
      visibilityTimeout: Duration.seconds(props.visibilitySeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    this.indexTable = new TableV2(this, 'IndexTable', {
      partitionKey: { name: QUEUE_INDEX_PARTITION_KEY, type: AttributeType.STRING },
      timeToLiveAttribute: QUEUE_INDEX_TTL_ATTRIBUTE,
      // Sparse: only last-chance leases not yet reported dead (queue-index-table.ts), so the
      // processors' dead-letter sweep is a Query, not a Scan of the table.
      globalSecondaryIndexes: [
        {
          indexName: QUEUE_INDEX_DEAD_INDEX,
          partitionKey: { name: QUEUE_INDEX_DEAD_KEY, type: AttributeType.STRING },
          sortKey: { name: QUEUE_INDEX_DEAD_SORT_KEY, type: AttributeType.NUMBER },
          projectionType: ProjectionType.ALL,
        },
      ],
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retainData,
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  environment(): Record<string, string> {
    return {
      [ENV.queueUrl]: this.queue.queueUrl,
      [ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
      [ENV.queueIndexTable]: this.indexTable.tableName,
      [ENV.maxReceiveCount]: String(this.maxReceiveCount),
    };
  }

  /**
   * Frontends and the queue Lambda: send, receive, ack, reschedule; the index table's items; and
   * the dead-letter sweep's Query of the dead-letters GSI (no Scan: listing the whole index is
   * for operators only).
   */
  grantProcess(grantee: IGrantable): void {
    allow(grantee, QUEUE_PROCESSOR_SQS_ACTIONS, [this.queue.queueArn, this.deadLetterQueue.queueArn]);
    allow(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [this.indexTable.tableArn],
    );
    allow(grantee, ['dynamodb:Query'], [`${this.indexTable.tableArn}/index/${QUEUE_INDEX_DEAD_INDEX}`]);
  }

  /**
   * Intake-only frontends (the queue Lambda processes): enqueue, the queue-depth check of
   * STRATO_MAX_QUEUED, and the index claim of a derived id; no receive, ack or visibility change.
   */
  grantIntake(grantee: IGrantable): void {
    allow(grantee, ['sqs:SendMessage', 'sqs:GetQueueAttributes'], [this.queue.queueArn]);
    allow(grantee, ['dynamodb:PutItem', 'dynamodb:DeleteItem'], [this.indexTable.tableArn]);
  }

  /**
   * Queue operators (the admin API, as the CLI's `queue` commands): the processors' SQS actions on
   * queue and DLQ (retry, redrive and bounce re-send and remove copies; depth reads attributes),
   * the index items, and the index Scan of `queue list/depth` (operators only).
   */
  grantOperate(grantee: IGrantable): void {
    allow(grantee, QUEUE_PROCESSOR_SQS_ACTIONS, [this.queue.queueArn, this.deadLetterQueue.queueArn]);
    allow(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Scan'],
      [this.indexTable.tableArn],
    );
  }

  /**
   * Backends: generated mail is enqueued. Its ids are derived from the delivery, so the enqueue
   * claims the id in the index first (a conditional put; a failed send deletes the claim again).
   */
  grantSend(grantee: IGrantable): void {
    allow(grantee, ['sqs:SendMessage'], [this.queue.queueArn]);
    allow(grantee, ['dynamodb:PutItem', 'dynamodb:DeleteItem'], [this.indexTable.tableArn]);
  }
}
