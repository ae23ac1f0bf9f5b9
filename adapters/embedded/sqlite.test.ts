/** Database opening and versioned migrations of the embedded SQLite file. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from './open.ts';
import { migrate, openDatabase } from './sqlite.ts';
import { tempDir } from './test-support.ts';

describe('openDatabase + migrate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens in WAL mode with full sync, a busy timeout and foreign keys', () => {
    const db = openDatabase(join(dir, 'x.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(10_000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('applies each step once, per component, and records the version', () => {
    const file = join(dir, 'x.db');
    let calls = 0;
    const steps = ['CREATE TABLE t (a INTEGER)', () => void calls++, 'ALTER TABLE t ADD COLUMN b TEXT'];
    const db1 = openDatabase(file);
    migrate(db1, 'thing', steps.slice(0, 2));
    const db2 = openDatabase(file);
    migrate(db2, 'thing', steps);
    migrate(db1, 'thing', steps);
    migrate(db2, 'other', ['CREATE TABLE u (a INTEGER)']);
    expect(calls).toBe(1);
    expect(db1.prepare('SELECT component, version FROM schema_versions ORDER BY component').all()).toEqual([
      { component: 'other', version: 1 },
      { component: 'thing', version: 3 },
    ]);
    expect(db1.prepare("SELECT name FROM pragma_table_info('t')").pluck().all()).toEqual(['a', 'b']);
    db1.close();
    db2.close();
  });

  it('rolls a failed step back whole and refuses a schema newer than the code', () => {
    const db = openDatabase(join(dir, 'x.db'));
    expect(() => migrate(db, 'bad', ['CREATE TABLE v (a INTEGER)', 'NOT SQL'])).toThrow();
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'v'").pluck().get()).toBe(0);
    migrate(db, 'newer', ['SELECT 1', 'SELECT 2']);
    expect(() => migrate(db, 'newer', ['SELECT 1'])).toThrow(/newer than this program knows/);
    db.close();
  });

  it('closes the embedded storage once, however often close is called', async () => {
    const s = await openEmbeddedStorage({ dataDir: join(dir, 'data') });
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await expect(s.directory.listDomains()).rejects.toThrow();
  });
});
