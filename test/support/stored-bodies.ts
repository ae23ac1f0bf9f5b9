/**
 * The message bodies an embedded data dir holds, wherever they are: files under
 * <dataDir>/messages and the small bodies kept inline in queue.db (table message_bodies).
 * Failure: a data dir without either yields no bodies; other read errors are thrown.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../../adapters/embedded/sqlite.ts';

/** Every stored body (as latin1 text) containing `text`, named by its path or `inline:<key>`. */
export async function bodiesContaining(dataDir: string, text: string): Promise<string[]> {
  const hits: string[] = [];
  const root = join(dataDir, 'messages');
  const files = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const f of files.filter((e) => e.isFile())) {
    const path = join(f.parentPath, f.name);
    if ((await readFile(path, 'latin1').catch(() => '')).includes(text)) hits.push(path);
  }
  const queueDb = join(dataDir, 'queue.db');
  if (!existsSync(queueDb)) return hits;
  const db = openDatabase(queueDb);
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'message_bodies'").get();
    if (!exists) return hits;
    const rows = db.prepare('SELECT key, data FROM message_bodies').all() as { key: string; data: Buffer }[];
    for (const r of rows) if (r.data.toString('latin1').includes(text)) hits.push(`inline:${r.key}`);
  } finally {
    db.close();
  }
  return hits;
}
