/** The table definitions create real tables on DynamoDB Local, idempotently, with TTL and the GSI. */
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTables, LIST_INDEX, TTL_ATTRIBUTE, tableDefinitions } from './dynamo-tables.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

describe('dynamo-tables', () => {
  it('creates every table (twice is harmless) with its key schema, GSI and TTL', async () => {
    await db.fresh();
    await createTables(db.raw, db.names);
    const defs = tableDefinitions(db.names);
    expect(defs.map((d) => d.tableName).sort()).toEqual(Object.values(db.names).sort());
    const directory = await db.raw.send(new DescribeTableCommand({ TableName: db.names.directory }));
    expect(directory.Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['pk', 'sk']);
    expect(directory.Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual([LIST_INDEX]);
    const ttl = await db.raw.send(new DescribeTimeToLiveCommand({ TableName: db.names.coordination }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: TTL_ATTRIBUTE,
      TimeToLiveStatus: 'ENABLED',
    });
  });
});
