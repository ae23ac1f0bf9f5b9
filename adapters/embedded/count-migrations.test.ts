/**
 * The schema steps that added trigger-kept counts count what an older database already holds:
 * a queue.db and a mailbox.db made at the previous schema version, with rows in them, are opened
 * by the current code, and the kept counts (queue_counts, mbx_usage) match the rows.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RESERVATIONS_MIGRATION } from './mailbox-reservations.ts';
import { openEmbeddedStorage } from './open.ts';
import { openDatabase } from './sqlite.ts';
import { tempDir } from './test-support.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A database file at `version` of `component`, made with the given schema and rows. */
function olderDatabase(file: string, component: string, version: number, sql: string): void {
  const db = openDatabase(file);
  db.exec(sql);
  db.prepare('INSERT INTO schema_versions (component, version) VALUES (?, ?)').run(component, version);
  db.close();
}

describe('trigger-kept counts on a database from the previous schema version', () => {
  it('counts the queued jobs that are not dead', async () => {
    dir = await tempDir();
    // queue schema version 2, as it was before queue_counts.
    olderDatabase(
      join(dir, 'queue.db'),
      'queue',
      2,
      `CREATE TABLE queue_jobs (id TEXT PRIMARY KEY, json TEXT NOT NULL, visible_at INTEGER NOT NULL,
         receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT, dead INTEGER NOT NULL DEFAULT 0,
         created_at INTEGER NOT NULL) WITHOUT ROWID;
       CREATE INDEX queue_jobs_visible ON queue_jobs (dead, visible_at);
       CREATE TABLE queue_done (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
       CREATE INDEX queue_done_at ON queue_done (at);
       INSERT INTO queue_jobs (id, json, visible_at, dead, created_at) VALUES
         ('live', '{}', 0, 0, 0), ('held', '{}', 0, 2, 0), ('dead', '{}', 0, 1, 0);`,
    );
    const storage = await openEmbeddedStorage({ dataDir: dir });
    await storage.close();
    const db = openDatabase(join(dir, 'queue.db'));
    try {
      expect(db.prepare("SELECT n FROM queue_counts WHERE name = 'live'").pluck().get()).toBe(2);
    } finally {
      db.close();
    }
  });

  it("counts each account's stored bytes", async () => {
    dir = await tempDir();
    // mailboxes schema version 2, as it was before mbx_usage.
    olderDatabase(
      join(dir, 'mailbox.db'),
      'mailboxes',
      2,
      `CREATE TABLE mbx_folders (account TEXT NOT NULL, folder TEXT NOT NULL, next_uid INTEGER NOT NULL,
         PRIMARY KEY (account, folder)) WITHOUT ROWID;
       CREATE TABLE mbx_messages (account TEXT NOT NULL, folder TEXT NOT NULL, uid INTEGER NOT NULL,
         size INTEGER NOT NULL, flags TEXT NOT NULL, internal_date INTEGER NOT NULL,
         delivery_key TEXT NOT NULL, PRIMARY KEY (account, folder, uid), UNIQUE (account, delivery_key))
         WITHOUT ROWID;
       CREATE TABLE mbx_epochs (account TEXT PRIMARY KEY, epoch INTEGER NOT NULL) WITHOUT ROWID;
       ${RESERVATIONS_MIGRATION}
       INSERT INTO mbx_messages VALUES
         ('alice@example.com', 'INBOX', 1, 10, '[]', 0, 'k1'),
         ('alice@example.com', 'Archive', 1, 20, '[]', 0, 'k2'),
         ('bob@example.com', 'INBOX', 1, 5, '[]', 0, 'k3');`,
    );
    const storage = await openEmbeddedStorage({ dataDir: dir });
    try {
      expect(await storage.mailboxes.usage('alice@example.com')).toBe(30);
      expect(await storage.mailboxes.usage('bob@example.com')).toBe(5);
      expect(await storage.mailboxes.usage('carol@example.com')).toBe(0);
    } finally {
      await storage.close();
    }
  });
});
