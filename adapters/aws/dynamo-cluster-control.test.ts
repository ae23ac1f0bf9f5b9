/** ClusterControl contract on DynamoDB (DynamoDB Local). */
import { clusterControlContract } from '../contract/cluster-control.contract.ts';
import { TestClock } from '../contract/test-clock.ts';
import { DynamoClusterControl } from './dynamo-cluster-control.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

clusterControlContract('DynamoDB', async () => {
  await db.fresh();
  const clock = new TestClock();
  return {
    control: new DynamoClusterControl({ client: db.client, tableName: db.names.coordination }, { clock }),
    clock,
    cleanup: async () => {},
  };
});
