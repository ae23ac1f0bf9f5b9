/** ClientSessions contract on SQLite: two storage handles on one data dir stand for two frontends. */
import { clientSessionsContract } from '../contract/client-sessions.contract.ts';
import { tempStorage } from './test-support.ts';

clientSessionsContract('embedded SQLite', async () => {
  const t = await tempStorage();
  const other = await t.reopen();
  return {
    sessions: t.storage.clientSessions,
    other: other.clientSessions,
    clock: t.clock,
    cleanup: t.cleanup,
  };
});
