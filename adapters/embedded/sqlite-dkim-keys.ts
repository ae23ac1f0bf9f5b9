/**
 * The DKIM keys of the SQLite directory: one row per (domain, selector), removed with the domain
 * (foreign key cascade). Used by SqliteDirectory, which owns the schema step that makes the table.
 * Failure: an unknown domain raises NotFoundError, a taken selector AlreadyExistsError; SQLite
 * faults propagate unchanged.
 */
import { AlreadyExistsError, NotFoundError } from '../../core/directory/errors.ts';
import type { DkimAlgorithm, DkimKeyRecord } from '../../core/ports/directory.ts';
import { type Db, writeTx } from './sqlite.ts';

export const DKIM_KEYS_MIGRATION = `CREATE TABLE dir_dkim_keys (
     domain TEXT NOT NULL REFERENCES dir_domains (name) ON DELETE CASCADE,
     selector TEXT NOT NULL,
     algorithm TEXT NOT NULL,
     private_key TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('active', 'retired')),
     PRIMARY KEY (domain, selector)
   );`;

interface KeyRow {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  private_key: string;
  created_at: number;
  state: 'active' | 'retired';
}

const toKey = (row: KeyRow): DkimKeyRecord => ({
  domain: row.domain,
  selector: row.selector,
  algorithm: row.algorithm,
  privateKeyPem: row.private_key,
  createdAt: row.created_at,
  state: row.state,
});

export function dkimKeysOf(db: Db, domain: string): DkimKeyRecord[] {
  const rows = db
    .prepare('SELECT * FROM dir_dkim_keys WHERE domain = ? ORDER BY created_at, selector')
    .all(domain.toLowerCase()) as KeyRow[];
  return rows.map(toKey);
}

export function addDkimKey(db: Db, key: DkimKeyRecord, retireOthers: boolean): void {
  const domain = key.domain.toLowerCase();
  writeTx(db, () => {
    if (!db.prepare('SELECT 1 FROM dir_domains WHERE name = ?').get(domain)) {
      throw new NotFoundError('domain', domain);
    }
    const taken = db
      .prepare('SELECT 1 FROM dir_dkim_keys WHERE domain = ? AND selector = ?')
      .get(domain, key.selector);
    if (taken) throw new AlreadyExistsError('DKIM key', `${key.selector}._domainkey.${domain}`);
    if (retireOthers) {
      db.prepare(`UPDATE dir_dkim_keys SET state = 'retired' WHERE domain = ?`).run(domain);
    }
    db.prepare(
      `INSERT INTO dir_dkim_keys (domain, selector, algorithm, private_key, created_at, state)
         VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(domain, key.selector, key.algorithm, key.privateKeyPem, key.createdAt, key.state);
  });
}

export function removeDkimKey(db: Db, domain: string, selector: string): void {
  const d = domain.toLowerCase();
  const r = db.prepare('DELETE FROM dir_dkim_keys WHERE domain = ? AND selector = ?').run(d, selector);
  if (r.changes === 0) throw new NotFoundError('DKIM key', `${selector}._domainkey.${d}`);
}
