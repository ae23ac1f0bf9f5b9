/** ClusterControl contract on DynamoDB (DynamoDB Local). */
import { clusterControlContract } from '../contract/cluster-control.contract.ts';
import { TestClock } from '../contract/test-clock.ts';
import { DynamoClusterControl } from './dynamo-cluster-control.ts';
import { suiteTables } from './dynamo-test-support.ts';

const db = suiteTables();

clusterControlContract('DynamoDB', async () => {
  await db.fresh();
  // Wall-clock start: DynamoDB Local's TTL sweep runs on real time and would delete items whose
  // `ttl` (derived from the clock) lies in the past.
  const clock = new TestClock(Date.now());
  return {
    control: new DynamoClusterControl({ client: db.client, tableName: db.names.coordination }, { clock }),
    clock,
    cleanup: async () => {},
  };
});
