/**
 * ClientSessions contract on DynamoDB (DynamoDB Local), plus the TTL set on session items. The
 * clock starts at the wall clock: DynamoDB Local deletes items whose TTL has passed in real time.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { clientSessionsContract } from '../contract/client-sessions.contract.ts';
import { clientSessionKey, DynamoClientSessions } from './dynamo-client-sessions.ts';
import { suiteTables, wallClockTestClock } from './dynamo-test-support.ts';

const db = suiteTables();
const target = () => ({ client: db.client, tableName: db.names.coordination });

clientSessionsContract('DynamoDB', async () => {
  await db.fresh();
  const clock = wallClockTestClock();
  return {
    sessions: new DynamoClientSessions(target(), { clock }),
    other: new DynamoClientSessions(target(), { clock }),
    clock,
    cleanup: async () => {},
  };
});

describe('DynamoClientSessions (DynamoDB specifics)', () => {
  it('keeps the expiry in ms and a TTL an hour after it, in epoch seconds', async () => {
    await db.fresh();
    const clock = wallClockTestClock();
    clock.set(Math.floor(clock.now() / 1000) * 1000);
    const sessions = new DynamoClientSessions(target(), { clock });
    await sessions.open('192.0.2.1', 'fe-1:a', 30_000);
    const item = await db.client.send(
      new GetCommand({ TableName: db.names.coordination, Key: clientSessionKey('192.0.2.1', 'fe-1:a') }),
    );
    expect(item.Item).toMatchObject({
      exp: clock.now() + 30_000,
      ttl: (clock.now() + 30_000 + 3_600_000) / 1000,
    });
  });
});
