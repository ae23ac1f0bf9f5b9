/** Suppressions contract on DynamoDB (DynamoDB Local). */
import { suppressionsContract } from '../contract/suppressions.contract.ts';
import { DynamoSuppressions } from './dynamo-suppressions.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

suppressionsContract('DynamoDB', async () => {
  await db.fresh();
  return {
    suppressions: new DynamoSuppressions({ client: db.client, tableName: db.names.coordination }),
    cleanup: async () => {},
  };
});
