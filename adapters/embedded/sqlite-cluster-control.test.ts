/** ClusterControl contract on SQLite. */
import { clusterControlContract } from '../contract/cluster-control.contract.ts';
import { tempStorage } from './test-support.ts';

clusterControlContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { control: t.storage.control, clock: t.clock, cleanup: t.cleanup };
});
