/** Suppressions contract on SQLite. */
import { suppressionsContract } from '../contract/suppressions.contract.ts';
import { tempStorage } from './test-support.ts';

suppressionsContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { suppressions: t.storage.suppressions, cleanup: t.cleanup };
});
