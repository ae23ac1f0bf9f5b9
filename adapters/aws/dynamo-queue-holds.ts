/**
 * QueueHolds on DynamoDB: one coordination-table item per directive in the single partition
 * "queue-holds" (there are few), sort key "<kind>#<value>"; add is a conditional PutItem, list one
 * Query (sorted by kind then value, as the sort key orders). Failure: SDK faults propagate.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  normaliseHoldValue,
  type QueueHold,
  type QueueHoldKind,
  type QueueHolds,
} from '../../core/ports/queue-holds.ts';
import { conditionFailure, type DynamoTarget, queryAll } from './dynamo-support.ts';

const PARTITION = 'queue-holds';

export class DynamoQueueHolds implements QueueHolds {
  constructor(private readonly target: DynamoTarget) {}

  async add(hold: QueueHold): Promise<boolean> {
    const value = normaliseHoldValue(hold.kind, hold.value);
    try {
      await this.target.client.send(
        new PutCommand({
          TableName: this.target.tableName,
          Item: {
            pk: PARTITION,
            sk: `${hold.kind}#${value}`,
            kind: hold.kind,
            value,
            createdAt: hold.createdAt,
            ...(hold.reason !== undefined ? { reason: hold.reason } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (conditionFailure(err)) return false;
      throw err;
    }
  }

  async remove(kind: QueueHoldKind, value: string): Promise<boolean> {
    const out = await this.target.client.send(
      new DeleteCommand({
        TableName: this.target.tableName,
        Key: { pk: PARTITION, sk: `${kind}#${normaliseHoldValue(kind, value)}` },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  async list(): Promise<QueueHold[]> {
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      kind: item.kind as QueueHoldKind,
      value: String(item.value),
      createdAt: Number(item.createdAt),
      ...(item.reason !== undefined ? { reason: String(item.reason) } : {}),
    }));
  }
}
