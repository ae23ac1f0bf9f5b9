/**
 * The SQS mail queue's index table (DynamoDB): one item per job that left the fast path —
 * deferred (rescheduled or enqueued with a delay), DSN (id dedupe), last-chance (about to be
 * dead-lettered) or touched by an operator. Key `id` (the job id); `ttl` expires items after
 * SQS's longest retention; the sparse GSI `dead-letters` lists dead jobs not yet reported. This module holds the table's definition, its item shape and codec,
 * and `createQueueIndexTable` for tests and local runs (CDK defines the same table).
 */
import {
  type AttributeValue,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const QUEUE_INDEX_TABLE_DEFAULT_NAME = 'strato-queue-index';
export const QUEUE_INDEX_PARTITION_KEY = 'id';
export const QUEUE_INDEX_TTL_ATTRIBUTE = 'ttl';
/** Items outlive every SQS copy they judge: SQS keeps a message at most 14 days. */
export const QUEUE_INDEX_TTL_SECONDS = 15 * 24 * 3600;
/**
 * The sparse index of last-chance leases (`dlk` set, sort key `vis`): a lease taken at the last
 * receive SQS allows is dead once `vis` has passed, so the dead-letter sweep finds every dead
 * job not yet reported with one Query (`dlk = dead AND vis <= now`), without a Scan.
 */
export const QUEUE_INDEX_DEAD_INDEX = 'dead-letters';
export const QUEUE_INDEX_DEAD_KEY = 'dlk';
export const QUEUE_INDEX_DEAD_SORT_KEY = 'vis';
/** The one value of `dlk` (a constant partition: dead jobs are few and each is reported once). */
export const QUEUE_INDEX_DEAD_VALUE = 'dead';

/**
 * - dedupe: a DSN id taken, its copy not received yet (hidden from operators)
 * - queued: waiting in SQS (delayed until `vis`, then ready)
 * - leased: received under `lease` until `vis`; once `vis` passed it is ready again, or dead
 *   when it was the last receive SQS allows (`rc` ≥ maxReceiveCount)
 * - held: parked by a hold directive (by a processor at receive, or by an operator); no SQS copy
 *   exists, nothing is received until a release writes a new generation and sends its copy
 * - done / removed: acked / removed by an operator; kept so stale copies are recognised
 */
export type QueueIndexState = 'dedupe' | 'queued' | 'leased' | 'held' | 'done' | 'removed';

export interface QueueIndexItem {
  readonly id: string;
  readonly st: QueueIndexState;
  /** Generation of the current copy; copies carrying a lower one are stale. */
  readonly gen: number;
  /** The job as its current copy carries it (JSON); absent once done/removed. */
  readonly job?: string;
  /** ms since epoch: when a queued copy becomes receivable, or when a lease ends. */
  readonly vis: number;
  /** ApproximateReceiveCount of the leased copy (0 while queued). */
  readonly rc: number;
  /** Token of the receive that holds the lease. */
  readonly lease?: string;
  /** SQS MessageId of the leased copy. */
  readonly mid?: string;
  /** MessageId of the copy a reschedule replaced (resends the current copy if that one reappears). */
  readonly pmid?: string;
  /** A releaseNow wrote this generation and has not confirmed sending its copy. */
  readonly pending?: boolean;
  /**
   * Set (to QUEUE_INDEX_DEAD_VALUE) while the item is a last-chance lease whose death is not yet
   * reported: it is in the dead-letters index. Every other state write removes it.
   */
  readonly dlk?: string;
  /** ms since epoch until which one sweeper holds the report of this dead job (claimDeadReport). */
  readonly dlc?: number;
  /** job.createdAt, for listing in arrival order. */
  readonly created: number;
  readonly ttl: number;
}

export function queueIndexTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: QUEUE_INDEX_PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: QUEUE_INDEX_DEAD_KEY, AttributeType: 'S' },
      { AttributeName: QUEUE_INDEX_DEAD_SORT_KEY, AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: QUEUE_INDEX_PARTITION_KEY, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: QUEUE_INDEX_DEAD_INDEX,
        KeySchema: [
          { AttributeName: QUEUE_INDEX_DEAD_KEY, KeyType: 'HASH' },
          { AttributeName: QUEUE_INDEX_DEAD_SORT_KEY, KeyType: 'RANGE' },
        ],
        // The report needs the job (its envelope): project everything, the index holds few items.
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Create the table (and its TTL) and wait until it is ACTIVE. For tests and local runs. */
export async function createQueueIndexTable(
  client: DynamoDBClient | DynamoDBDocumentClient,
  tableName: string,
): Promise<void> {
  const raw = client as DynamoDBClient;
  await raw.send(new CreateTableCommand(queueIndexTableDefinition(tableName)));
  for (let i = 0; i < 100; i++) {
    const t = await raw.send(new DescribeTableCommand({ TableName: tableName }));
    if (t.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await raw.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: QUEUE_INDEX_TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}

/** An item as a failed condition returns it (raw AttributeValues; lib-dynamodb leaves them so). */
export function itemFromRaw(raw: Record<string, AttributeValue> | undefined): QueueIndexItem | undefined {
  if (!raw) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v.S !== undefined) out[k] = v.S;
    else if (v.N !== undefined) out[k] = Number(v.N);
    else if (v.BOOL !== undefined) out[k] = v.BOOL;
  }
  return out as unknown as QueueIndexItem;
}
