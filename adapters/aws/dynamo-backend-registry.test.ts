/** BackendRegistry contract on DynamoDB (DynamoDB Local). */
import { backendRegistryContract } from '../contract/backend-registry.contract.ts';
import { TestClock } from '../contract/test-clock.ts';
import { DynamoBackendRegistry } from './dynamo-backend-registry.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

backendRegistryContract('DynamoDB', async () => {
  await db.fresh();
  const clock = new TestClock();
  return {
    registry: new DynamoBackendRegistry({ client: db.client, tableName: db.names.coordination }, { clock }),
    clock,
    cleanup: async () => {},
  };
});
