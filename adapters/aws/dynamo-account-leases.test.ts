/** AccountLeases contract on DynamoDB (DynamoDB Local), plus the stored item's shape. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { accountLeasesContract } from '../contract/account-leases.contract.ts';
import { TestClock } from '../contract/test-clock.ts';
import { DynamoAccountLeases, leaseKey } from './dynamo-account-leases.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();
const target = () => ({ client: db.client, tableName: db.names.coordination });

accountLeasesContract('DynamoDB', async () => {
  await db.fresh();
  const clock = new TestClock();
  return { leases: new DynamoAccountLeases(target(), { clock }), clock, cleanup: async () => {} };
});

describe('DynamoAccountLeases (DynamoDB specifics)', () => {
  it('keeps one item per account with no TTL attribute, so the epoch survives any idle time', async () => {
    await db.fresh();
    const clock = new TestClock();
    const leases = new DynamoAccountLeases(target(), { clock });
    await leases.acquire('alice@example.com', 'a', 1_000);
    clock.advance(365 * 86_400_000);
    const b = await leases.acquire('alice@example.com', 'b', 1_000);
    expect(b).toMatchObject({ ok: true, lease: { epoch: 2 } });
    const item = await db.client.send(
      new GetCommand({ TableName: db.names.coordination, Key: leaseKey('alice@example.com') }),
    );
    expect(Object.keys(item.Item ?? {}).sort()).toEqual([
      'account',
      'epoch',
      'expiresAt',
      'owner',
      'pk',
      'sk',
    ]);
  });
});
