/** Directory contract on SQLite. */
import { directoryContract } from '../contract/directory.contract.ts';
import { tempStorage } from './test-support.ts';

directoryContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { directory: t.storage.directory, cleanup: t.cleanup };
});
