/** MessageHistory contract on SQLite (history.db of the embedded storage), plus the prune. */
import { describe, expect, it } from 'vitest';
import { messageHistoryContract } from '../contract/message-history.contract.ts';
import { openDatabase } from './sqlite.ts';
import { SqliteMessageHistory } from './sqlite-message-history.ts';
import { tempStorage } from './test-support.ts';

messageHistoryContract('embedded SQLite', async () => {
  const t = await tempStorage({ historyDays: 1 });
  return { history: t.storage.history, clock: t.clock, retentionMs: 86_400_000, cleanup: t.cleanup };
});

describe('SqliteMessageHistory (embedded specifics)', () => {
  it('deletes rows past their retention on a later write', async () => {
    const t = await tempStorage();
    try {
      const db = openDatabase(`${t.dir}/history.db`);
      const history = new SqliteMessageHistory(db, { clock: t.clock, retentionMs: 60_000 });
      const by = { role: 'frontend', id: 'fe' } as const;
      await history.append([{ kind: 'done', queueId: 'OLD', at: t.clock.now(), by, attempts: 1 }]);
      t.clock.advance(3_600_000);
      await history.append([{ kind: 'done', queueId: 'NEW', at: t.clock.now(), by, attempts: 1 }]);
      const ids = db.prepare('SELECT DISTINCT queue_id FROM history_events').pluck().all();
      db.close();
      expect(ids).toEqual(['NEW']);
    } finally {
      await t.cleanup();
    }
  });
});
