/**
 * ClusterControl on DynamoDB, in the coordination table (every frontend already reads and
 * writes it): the queue-processing settings are one item pk=`cluster` sk=`queue-processing`, one
 * attribute per setting, changed by one UpdateItem (SET the given fields, REMOVE the cleared
 * ones) so concurrent changes of different fields never undo each other; frontends are items in
 * the single partition `frontends` (few of them), upserted by each heartbeat, with a TTL a day
 * after their expiry so replaced Fargate tasks disappear on their own. Liveness is expiresAt
 * compared with the injected clock. The outbound routing table is one item per destination in
 * the partition `routes` (sk = destination, attribute `route`), read with one Query, so changes
 * to different destinations never undo each other. Failure: SDK faults propagate; a stored settings item that no
 * longer validates is reported as a PortError.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import {
  type ClusterControl,
  FRONTEND_FORGET_MS,
  type FrontendHeartbeat,
  type FrontendInfo,
  frontendInfoSchema,
  type QueueSettings,
  type QueueSettingsPatch,
  queueSettingsSchema,
  readStoredRoute,
  tooManyRoutes,
  validateDestination,
  validateQueuePatch,
  validateRouteEntry,
} from '../../core/ports/cluster-control.ts';
import { PortError } from '../../core/ports/errors.ts';
import { MAX_ROUTES, type Route, type RouteEntry } from '../../core/ports/route-table.ts';
import { type DynamoTarget, queryAll } from './dynamo-support.ts';
import { TTL_ATTRIBUTE } from './dynamo-tables.ts';

const SETTINGS_KEY = { pk: 'cluster', sk: 'queue-processing' };
const FRONTENDS = 'frontends';
const ROUTES = 'routes';
const SETTING_FIELDS = Object.keys(queueSettingsSchema.shape);

export class DynamoClusterControl implements ClusterControl {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async getQueueSettings(): Promise<QueueSettings> {
    const out = await this.target.client.send(
      new GetCommand({ TableName: this.target.tableName, Key: SETTINGS_KEY, ConsistentRead: true }),
    );
    return parseSettings(out.Item);
  }

  async updateQueueSettings(patch: QueueSettingsPatch): Promise<QueueSettings> {
    const valid = validateQueuePatch(patch);
    const set: string[] = [];
    const remove: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(valid)) {
      names[`#${key}`] = key;
      if (value === null) remove.push(`#${key}`);
      else {
        set.push(`#${key} = :${key}`);
        values[`:${key}`] = value;
      }
    }
    if (set.length === 0 && remove.length === 0) return this.getQueueSettings();
    const expression = [
      set.length ? `SET ${set.join(', ')}` : '',
      remove.length ? `REMOVE ${remove.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const out = await this.target.client.send(
      new UpdateCommand({
        TableName: this.target.tableName,
        Key: SETTINGS_KEY,
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ...(set.length ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return parseSettings(out.Attributes);
  }

  async heartbeatFrontend(info: FrontendHeartbeat, ttlMs: number): Promise<void> {
    const parsed = frontendInfoSchema.parse(info);
    const now = this.clock.now();
    const expiresAt = now + ttlMs;
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: {
          pk: FRONTENDS,
          sk: parsed.id,
          ...parsed,
          seenAt: now,
          expiresAt,
          [TTL_ATTRIBUTE]: Math.ceil((expiresAt + FRONTEND_FORGET_MS) / 1000),
        },
      }),
    );
  }

  async deregisterFrontend(id: string): Promise<void> {
    await this.target.client.send(
      new DeleteCommand({ TableName: this.target.tableName, Key: { pk: FRONTENDS, sk: id } }),
    );
  }

  async listLiveFrontends(): Promise<FrontendInfo[]> {
    return this.frontendsExpiringAfter(this.clock.now());
  }

  async listRecentFrontends(): Promise<FrontendInfo[]> {
    return this.frontendsExpiringAfter(this.clock.now() - FRONTEND_FORGET_MS);
  }

  async listRoutes(): Promise<RouteEntry[]> {
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': ROUTES },
      ConsistentRead: true,
    });
    // Query returns the partition in sort-key order: sorted by destination already.
    return items.map((item) => readStoredRoute({ destination: item.sk, route: item.route }));
  }

  async setRoute(destination: string, route: Route): Promise<RouteEntry> {
    const entry = validateRouteEntry(destination, route);
    const known = await this.listRoutes();
    if (known.length >= MAX_ROUTES && !known.some((r) => r.destination === entry.destination)) {
      throw new PortError(tooManyRoutes());
    }
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: { pk: ROUTES, sk: entry.destination, route: entry.route },
      }),
    );
    return entry;
  }

  async removeRoute(destination: string): Promise<boolean> {
    const out = await this.target.client.send(
      new DeleteCommand({
        TableName: this.target.tableName,
        Key: { pk: ROUTES, sk: validateDestination(destination) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  private async frontendsExpiringAfter(t: number): Promise<FrontendInfo[]> {
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': FRONTENDS },
      ConsistentRead: true,
    });
    // TTL deletion is lazy: the expiry decides, not whether the item is still there.
    return items.flatMap((item) => {
      const expiresAt = Number(item.expiresAt);
      if (!(expiresAt > t)) return [];
      const info = frontendInfoSchema.safeParse(item);
      return info.success ? [{ ...info.data, seenAt: Number(item.seenAt), expiresAt }] : [];
    });
  }
}

function parseSettings(item: Record<string, unknown> | undefined): QueueSettings {
  if (!item) return {};
  const fields = Object.fromEntries(SETTING_FIELDS.filter((k) => k in item).map((k) => [k, item[k]]));
  const parsed = queueSettingsSchema.safeParse(fields);
  if (!parsed.success) throw new PortError(`stored queue settings are invalid: ${parsed.error.message}`);
  return parsed.data;
}
