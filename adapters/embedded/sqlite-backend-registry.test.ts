/** BackendRegistry contract on SQLite. */
import { backendRegistryContract } from '../contract/backend-registry.contract.ts';
import { tempStorage } from './test-support.ts';

backendRegistryContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { registry: t.storage.backends, clock: t.clock, cleanup: t.cleanup };
});
