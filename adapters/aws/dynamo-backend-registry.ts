/**
 * BackendRegistry on DynamoDB: one coordination-table item per backend in the single partition
 * "backends" (there are few backends), upserted by each heartbeat with expiresAt from the injected
 * clock; liveness is expiresAt compared with that clock, so a backend that stops beating drops out
 * of listLive on its own and stays in listAll until deregistered (no TTL). Both lists are one
 * Query, sorted by id (the sort key). Failure: SDK faults propagate to the caller.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BackendInfo, BackendRegistry } from '../../core/ports/backend-registry.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { type DynamoTarget, queryAll } from './dynamo-support.ts';

const PARTITION = 'backends';

export class DynamoBackendRegistry implements BackendRegistry {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async heartbeat(info: Omit<BackendInfo, 'expiresAt'>, ttlMs: number): Promise<void> {
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: {
          pk: PARTITION,
          sk: info.id,
          id: info.id,
          address: info.address,
          kind: info.kind,
          expiresAt: this.clock.now() + ttlMs,
          ...(info.accountsOpen !== undefined && { accountsOpen: info.accountsOpen }),
          ...(info.startedAt !== undefined && { startedAt: info.startedAt }),
          ...(info.version !== undefined && { version: info.version }),
        },
      }),
    );
  }

  async deregister(id: string): Promise<void> {
    await this.target.client.send(
      new DeleteCommand({ TableName: this.target.tableName, Key: { pk: PARTITION, sk: id } }),
    );
  }

  async listLive(): Promise<BackendInfo[]> {
    const now = this.clock.now();
    return (await this.listAll()).filter((b) => b.expiresAt > now);
  }

  async listAll(): Promise<BackendInfo[]> {
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ConsistentRead: true,
    });
    // The sort key orders by UTF-8 bytes, as SQLite's ORDER BY id does in the embedded registry.
    return items.map((item) => ({
      id: String(item.id),
      address: String(item.address),
      kind: item.kind as BackendInfo['kind'],
      expiresAt: Number(item.expiresAt),
      ...(typeof item.accountsOpen === 'number' && { accountsOpen: item.accountsOpen }),
      ...(typeof item.startedAt === 'number' && { startedAt: item.startedAt }),
      ...(typeof item.version === 'string' && { version: item.version }),
    }));
  }
}
