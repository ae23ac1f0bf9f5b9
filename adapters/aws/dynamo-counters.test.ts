/**
 * Counters contract on DynamoDB (DynamoDB Local), plus the TTL set on window items. The clocks
 * start at the wall clock: DynamoDB Local deletes items whose TTL has passed in real time.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { countersContract } from '../contract/counters.contract.ts';
import { counterKey, DynamoCounters } from './dynamo-counters.ts';
import { suiteTables, wallClockTestClock } from './dynamo-test-support.ts';

const db = suiteTables();
const target = () => ({ client: db.client, tableName: db.names.coordination });

countersContract('DynamoDB', async () => {
  await db.fresh();
  const clock = wallClockTestClock();
  return { counters: new DynamoCounters(target(), { clock }), clock, cleanup: async () => {} };
});

describe('DynamoCounters (DynamoDB specifics)', () => {
  it('sets the TTL an hour after the window ends, in epoch seconds', async () => {
    await db.fresh();
    const clock = wallClockTestClock();
    const start = Math.floor(clock.now() / 60_000) * 60_000;
    clock.set(start + 30_000);
    const counters = new DynamoCounters(target(), { clock });
    await counters.add('k', 60, 2);
    const item = await db.client.send(
      new GetCommand({ TableName: db.names.coordination, Key: counterKey('k', 60, start) }),
    );
    expect(item.Item).toMatchObject({ c: 2, ttl: (start + 60_000 + 3_600_000) / 1000 });
  });

  it('refuses bad windows and amounts before any request', async () => {
    const counters = new DynamoCounters(target());
    await expect(counters.add('k', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(counters.tryConsume('k', 60, 5, -1)).rejects.toBeInstanceOf(RangeError);
  });
});
