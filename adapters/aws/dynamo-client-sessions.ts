/**
 * ClientSessions on DynamoDB: one coordination-table item per session, pk=clientsession#<ip>
 * sk=<session key>, with its expiry (ms, from the injected clock) and a TTL an hour later so
 * DynamoDB deletes what a killed frontend left. `open` puts the item and counts the address's
 * unexpired items with a consistent Query (Select COUNT, filtered on the expiry), so every
 * frontend sees every other's sessions; refresh is a conditional UpdateItem per live session.
 * Failure: SDK faults propagate; a refresh of an item already gone is ignored.
 */
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClientSessionRef, ClientSessions } from '../../core/ports/client-sessions.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { conditionFailure, type DynamoTarget } from './dynamo-support.ts';
import { TTL_ATTRIBUTE } from './dynamo-tables.ts';

/** Expired items stay this long before TTL may remove them (reads ignore them anyway). */
const KEEP_EXPIRED_MS = 60 * 60 * 1000;

export function clientSessionKey(ip: string, sessionKey: string): { pk: string; sk: string } {
  return { pk: `clientsession#${ip}`, sk: sessionKey };
}

export class DynamoClientSessions implements ClientSessions {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async open(ip: string, sessionKey: string, ttlMs: number): Promise<number> {
    const expires = this.clock.now() + ttlMs;
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: { ...clientSessionKey(ip, sessionKey), exp: expires, [TTL_ATTRIBUTE]: ttlSeconds(expires) },
      }),
    );
    return this.count(ip);
  }

  async refresh(sessions: readonly ClientSessionRef[], ttlMs: number): Promise<void> {
    const now = this.clock.now();
    const expires = now + ttlMs;
    await Promise.all(
      sessions.map((s) =>
        this.target.client
          .send(
            new UpdateCommand({
              TableName: this.target.tableName,
              Key: clientSessionKey(s.ip, s.sessionKey),
              UpdateExpression: 'SET #exp = :exp, #ttl = :ttl',
              ConditionExpression: '#exp > :now',
              ExpressionAttributeNames: { '#exp': 'exp', '#ttl': TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ':exp': expires, ':ttl': ttlSeconds(expires), ':now': now },
            }),
          )
          .catch((err) => {
            // Gone or expired: the session is not brought back.
            if (!conditionFailure(err)) throw err;
          }),
      ),
    );
  }

  async close(ip: string, sessionKey: string): Promise<void> {
    await this.target.client.send(
      new DeleteCommand({ TableName: this.target.tableName, Key: clientSessionKey(ip, sessionKey) }),
    );
  }

  async count(ip: string): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.target.client.send(
        new QueryCommand({
          TableName: this.target.tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#exp > :now',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: { ':pk': clientSessionKey(ip, '').pk, ':now': this.clock.now() },
          ConsistentRead: true,
          Select: 'COUNT',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      total += r.Count ?? 0;
      start = r.LastEvaluatedKey;
    } while (start);
    return total;
  }
}

function ttlSeconds(expiresMs: number): number {
  return Math.ceil((expiresMs + KEEP_EXPIRED_MS) / 1000);
}
