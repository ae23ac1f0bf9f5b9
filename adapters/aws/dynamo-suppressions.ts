/**
 * Suppressions on DynamoDB: one coordination-table item per address in the partition
 * "suppressions", sort key the address; the RCPT check is one GetItem by key, the listing one
 * Query. Failure: SDK faults propagate.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  normaliseSuppressed,
  type Suppression,
  type SuppressionReason,
  type Suppressions,
} from '../../core/ports/suppressions.ts';
import { type DynamoTarget, queryAll } from './dynamo-support.ts';

const PARTITION = 'suppressions';

const fromItem = (item: Record<string, unknown>): Suppression => ({
  address: String(item.sk),
  reason: item.reason as SuppressionReason,
  at: Number(item.at),
  ...(item.detail !== undefined ? { detail: String(item.detail) } : {}),
});

export class DynamoSuppressions implements Suppressions {
  constructor(private readonly target: DynamoTarget) {}

  async put(s: Suppression): Promise<void> {
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: {
          pk: PARTITION,
          sk: normaliseSuppressed(s.address),
          reason: s.reason,
          at: s.at,
          ...(s.detail !== undefined ? { detail: s.detail } : {}),
        },
      }),
    );
  }

  async get(address: string): Promise<Suppression | undefined> {
    const out = await this.target.client.send(
      new GetCommand({
        TableName: this.target.tableName,
        Key: { pk: PARTITION, sk: normaliseSuppressed(address) },
      }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async remove(address: string): Promise<boolean> {
    const out = await this.target.client.send(
      new DeleteCommand({
        TableName: this.target.tableName,
        Key: { pk: PARTITION, sk: normaliseSuppressed(address) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  async list(): Promise<Suppression[]> {
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ConsistentRead: true,
    });
    return items.map(fromItem);
  }
}
