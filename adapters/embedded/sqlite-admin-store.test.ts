/** AdminStore contract on SQLite (admin.db of an embedded data dir). */
import { adminStoreContract } from '../contract/admin-store.contract.ts';
import { tempStorage } from './test-support.ts';

adminStoreContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { store: t.storage.admin, cleanup: t.cleanup };
});
