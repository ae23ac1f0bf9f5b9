/** AdminStore contract on DynamoDB (DynamoDB Local, the coordination table). */
import { adminStoreContract } from '../contract/admin-store.contract.ts';
import { DynamoAdminStore } from './dynamo-admin-store.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

adminStoreContract('DynamoDB', async () => {
  await db.fresh();
  return {
    store: new DynamoAdminStore({ client: db.client, tableName: db.names.coordination }),
    cleanup: async () => {},
  };
});
