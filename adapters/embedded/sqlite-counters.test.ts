/** Counters contract on SQLite, plus the sweep of long-ended windows. */
import { describe, expect, it } from 'vitest';
import { countersContract } from '../contract/counters.contract.ts';
import { DB_FILES } from './open.ts';
import { openDatabase } from './sqlite.ts';
import { tempStorage } from './test-support.ts';

countersContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { counters: t.storage.counters, clock: t.clock, cleanup: t.cleanup };
});

describe('SqliteCounters (embedded specifics)', () => {
  it('drops windows that ended more than an hour ago', async () => {
    const t = await tempStorage();
    try {
      const { counters } = t.storage;
      await counters.add('old', 60);
      t.clock.advance(2 * 3_600_000);
      for (let i = 0; i < 500; i++) await counters.add('new', 60);
      const db = openDatabase(`${t.dir}/${DB_FILES.counters}`);
      const keys = db.prepare('SELECT DISTINCT key FROM counters').pluck().all();
      db.close();
      expect(keys).toEqual(['new']);
    } finally {
      await t.cleanup();
    }
  });
});
