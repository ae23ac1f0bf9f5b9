/**
 * MessageHistory contract on DynamoDB (DynamoDB Local), plus the TTL every item carries. The clock
 * starts at the wall clock: DynamoDB Local deletes items whose TTL has passed in real time.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { messageHistoryContract } from '../contract/message-history.contract.ts';
import { DynamoMessageHistory } from './dynamo-message-history.ts';
import { suiteTables, wallClockTestClock } from './dynamo-test-support.ts';

const db = suiteTables();
const target = () => ({ client: db.client, tableName: db.names.history });
const HOUR = 3_600_000;

messageHistoryContract('DynamoDB', async () => {
  await db.fresh();
  const clock = wallClockTestClock();
  return {
    history: new DynamoMessageHistory(target(), { clock, retentionMs: HOUR }),
    clock,
    retentionMs: HOUR,
    cleanup: async () => {},
  };
});

describe('DynamoMessageHistory (DynamoDB specifics)', () => {
  it('puts the TTL (epoch seconds, written at + retention) on event and lookup items', async () => {
    await db.fresh();
    const clock = wallClockTestClock();
    const history = new DynamoMessageHistory(target(), { clock, retentionMs: HOUR });
    const at = clock.now();
    await history.append([
      {
        kind: 'accepted',
        queueId: 'Q1',
        at,
        by: { role: 'frontend', id: 'fe' },
        mailFrom: '',
        recipients: ['a@example.com'],
        size: 1,
        source: 'SMTP',
      },
    ]);
    const ttl = Math.floor((at + HOUR) / 1000);
    for (const pk of ['msg#Q1', 'addr#a@example.com']) {
      const out = await db.client.send(
        new QueryCommand({
          TableName: db.names.history,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
        }),
      );
      expect(out.Items?.map((i) => i.ttl)).toEqual([ttl]);
    }
  });
});
