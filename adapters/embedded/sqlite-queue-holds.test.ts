/** QueueHolds contract on SQLite. */
import { queueHoldsContract } from '../contract/queue-holds.contract.ts';
import { tempStorage } from './test-support.ts';

queueHoldsContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { holds: t.storage.holds, cleanup: t.cleanup };
});
