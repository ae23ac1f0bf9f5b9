/** QueueHolds contract on DynamoDB (DynamoDB Local). */
import { queueHoldsContract } from '../contract/queue-holds.contract.ts';
import { DynamoQueueHolds } from './dynamo-queue-holds.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

queueHoldsContract('DynamoDB', async () => {
  await db.fresh();
  return {
    holds: new DynamoQueueHolds({ client: db.client, tableName: db.names.coordination }),
    cleanup: async () => {},
  };
});
