/** Directory contract on SQLite, plus the query plan of the paged account listing. */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { directoryContract } from '../contract/directory.contract.ts';
import { DB_FILES } from './open.ts';
import { openDatabase } from './sqlite.ts';
import { ACCOUNT_PAGE_SQL } from './sqlite-directory.ts';
import { tempStorage } from './test-support.ts';

directoryContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { directory: t.storage.directory, cleanup: t.cleanup };
});

it('pages accounts from the (domain, kind, address) index without sorting or scanning the table', async () => {
  const t = await tempStorage();
  try {
    const db = openDatabase(join(t.dir, DB_FILES.directory));
    try {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${ACCOUNT_PAGE_SQL}`)
        .all('example.com', '', 'a', 'a\u{10FFFF}', 100)
        .map((row) => (row as { detail: string }).detail)
        .join('\n');
      expect(plan).toMatch(
        /SEARCH dir_names USING INDEX dir_names_domain \(domain=\? AND kind=\? AND address>\? AND address<\?\)/,
      );
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN/);
    } finally {
      db.close();
    }
  } finally {
    await t.cleanup();
  }
});
