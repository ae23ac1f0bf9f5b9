/**
 * DirectoryAdmin on SQLite: a domains table and one `names` table keyed by address, so accounts,
 * aliases and forwarders of a domain share one namespace; settings are JSON documents per
 * account, per domain (defaults) and for the cluster. Writes run in IMMEDIATE transactions.
 * Failure: conflicts raise the directory errors (AlreadyExistsError, NotFoundError,
 * DomainNotEmptyError, InvalidAddressError); SQLite faults propagate unchanged.
 */

import type { Statement } from 'better-sqlite3';
import {
  AlreadyExistsError,
  DomainNotEmptyError,
  InvalidAddressError,
  NotFoundError,
} from '../../core/directory/errors.ts';
import type {
  AccountPage,
  AccountPageQuery,
  AccountRecord,
  AliasRecord,
  DirectoryAdmin,
  DkimKeyRecord,
  DomainPatch,
  DomainRecord,
  ForwarderRecord,
  MailToUnknown,
  NameEntry,
} from '../../core/ports/directory.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import { type Db, migrate, writeTx } from './sqlite.ts';
import { addDkimKey, DKIM_KEYS_MIGRATION, dkimKeysOf, removeDkimKey } from './sqlite-dkim-keys.ts';

const MIGRATIONS = [
  `CREATE TABLE dir_domains (
     name TEXT PRIMARY KEY,
     mail_to_unknown TEXT NOT NULL,
     defaults TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE dir_names (
     address TEXT PRIMARY KEY,
     domain TEXT NOT NULL REFERENCES dir_domains (name) ON DELETE CASCADE,
     kind TEXT NOT NULL CHECK (kind IN ('account', 'alias', 'forwarder')),
     data TEXT NOT NULL
   );
   CREATE INDEX dir_names_domain ON dir_names (domain, kind);
   CREATE TABLE dir_cluster (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL);`,
  // Aliases are looked up by the account they name when the account goes away.
  `CREATE INDEX dir_names_alias_target ON dir_names (json_extract(data, '$.account')) WHERE kind = 'alias';`,
  // The domain's postmaster target (NULL: the cluster's).
  'ALTER TABLE dir_domains ADD COLUMN postmaster TEXT;',
  DKIM_KEYS_MIGRATION,
  // Paged account listings read the domain's names in address order from the index alone.
  `DROP INDEX dir_names_domain;
   CREATE INDEX dir_names_domain ON dir_names (domain, kind, address);`,
];

/**
 * One page of a domain's accounts: a range scan of the (domain, kind, address) index, already in
 * order (no sort), stopping after LIMIT rows; parameters: domain, after, prefix, prefix end, limit.
 */
export const ACCOUNT_PAGE_SQL = `SELECT * FROM dir_names WHERE domain = ? AND kind = 'account' AND address > ?
  AND address >= ? AND address < ? ORDER BY address LIMIT ?`;

type Kind = 'account' | 'alias' | 'forwarder';

interface DomainRow {
  name: string;
  mail_to_unknown: string;
  defaults: string;
  created_at: number;
  postmaster: string | null;
}

interface NameRow {
  address: string;
  domain: string;
  kind: Kind;
  data: string;
}

/** What `data` holds for an account (the rest of the record is derived from the address). */
interface AccountData {
  realName?: string;
  passwordHash?: string;
  settings: PartialSettings;
  createdAt: number;
}

export class SqliteDirectory implements DirectoryAdmin {
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Db) {
    migrate(db, 'directory', MIGRATIONS);
  }

  /** Prepared statements, made once: lookupName runs for every RCPT TO. */
  private sql<P extends unknown[] = unknown[], R = unknown>(text: string): Statement<P, R> {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt as unknown as Statement<P, R>;
  }

  async addDomain(domain: DomainRecord): Promise<void> {
    const name = lower(domain.name);
    const r = this.sql(
      `INSERT INTO dir_domains (name, mail_to_unknown, defaults, created_at, postmaster) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO NOTHING`,
    ).run(
      name,
      JSON.stringify(domain.mailToUnknown),
      JSON.stringify(domain.defaults),
      domain.createdAt,
      domain.postmaster ?? null,
    );
    if (r.changes === 0) throw new AlreadyExistsError('domain', name);
  }

  async getDomain(name: string): Promise<DomainRecord | undefined> {
    const row = this.sql<[string], DomainRow>('SELECT * FROM dir_domains WHERE name = ?').get(lower(name));
    return row ? toDomain(row) : undefined;
  }

  async listDomains(): Promise<DomainRecord[]> {
    return this.sql<[], DomainRow>('SELECT * FROM dir_domains ORDER BY name').all().map(toDomain);
  }

  async updateDomain(name: string, patch: DomainPatch) {
    const key = lower(name);
    writeTx(this.db, () => {
      const row = this.sql<[string], DomainRow>('SELECT * FROM dir_domains WHERE name = ?').get(key);
      if (!row) throw new NotFoundError('domain', key);
      const mailToUnknown = patch.mailToUnknown ?? (JSON.parse(row.mail_to_unknown) as MailToUnknown);
      // Domain defaults merge like account settings: an undefined value clears the key.
      const defaults = patch.defaults
        ? mergeSettings(JSON.parse(row.defaults) as PartialSettings, patch.defaults)
        : (JSON.parse(row.defaults) as PartialSettings);
      const postmaster = patch.postmaster === undefined ? row.postmaster : patch.postmaster;
      this.sql('UPDATE dir_domains SET mail_to_unknown = ?, defaults = ?, postmaster = ? WHERE name = ?').run(
        JSON.stringify(mailToUnknown),
        JSON.stringify(defaults),
        postmaster,
        key,
      );
    });
  }

  async removeDomain(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const key = lower(name);
    writeTx(this.db, () => {
      const names = this.sql('SELECT COUNT(*) FROM dir_names WHERE domain = ?').pluck().get(key) as number;
      if (names > 0 && !opts.force) throw new DomainNotEmptyError(key, names);
      // Aliases elsewhere that name this domain's accounts go with them.
      this.sql(
        `DELETE FROM dir_names WHERE kind = 'alias' AND json_extract(data, '$.account') IN
             (SELECT address FROM dir_names WHERE domain = ? AND kind = 'account')`,
      ).run(key);
      this.sql('DELETE FROM dir_names WHERE domain = ?').run(key);
      if (this.sql('DELETE FROM dir_domains WHERE name = ?').run(key).changes === 0) {
        throw new NotFoundError('domain', key);
      }
    });
  }

  async addAccount(account: AccountRecord): Promise<void> {
    const { address, domain } = splitAddress(account.address);
    if (lower(account.domain) !== domain || lower(account.name) !== address.slice(0, -domain.length - 1)) {
      throw new InvalidAddressError(
        account.address,
        `does not match name ${account.name} and domain ${account.domain}`,
      );
    }
    const data: AccountData = { settings: account.settings ?? {}, createdAt: account.createdAt };
    if (account.realName !== undefined) data.realName = account.realName;
    if (account.passwordHash !== undefined) data.passwordHash = account.passwordHash;
    this.insertName(address, domain, 'account', data);
  }

  async getAccount(address: string): Promise<AccountRecord | undefined> {
    const row = this.nameRow(lower(address));
    return row?.kind === 'account' ? toAccount(row) : undefined;
  }

  async listAccounts(domain: string): Promise<AccountRecord[]> {
    return this.listKind(domain, 'account').map(toAccount);
  }

  async listAccountsPage(domain: string, query: AccountPageQuery): Promise<AccountPage> {
    const prefix = lower(query.prefix ?? '');
    const after = query.after !== undefined ? lower(query.after) : '';
    // A range on the indexed address (not LIKE, which would need escaping and a NOCASE index);
    // U+10FFFF sorts after every character an address can hold.
    const rows = this.sql<[string, string, string, string, number], NameRow>(ACCOUNT_PAGE_SQL).all(
      lower(domain),
      after,
      prefix,
      `${prefix}\u{10FFFF}`,
      query.limit + 1,
    );
    const items = rows.slice(0, query.limit).map(toAccount);
    return rows.length > query.limit ? { items, nextAfter: items.at(-1)!.address } : { items };
  }

  async removeAccount(address: string): Promise<void> {
    const key = lower(address);
    writeTx(this.db, () => {
      this.removeName(key, 'account');
      // An alias must not outlive the account it names.
      this.sql(`DELETE FROM dir_names WHERE kind = 'alias' AND json_extract(data, '$.account') = ?`).run(key);
    });
  }

  async setPasswordHash(address: string, hash: string): Promise<void> {
    this.updateAccount(address, (data) => ({ ...data, passwordHash: hash }));
  }

  async updateAccountSettings(address: string, patch: PartialSettings): Promise<void> {
    this.updateAccount(address, (data) => ({ ...data, settings: mergeSettings(data.settings ?? {}, patch) }));
  }

  async addAlias(alias: AliasRecord): Promise<void> {
    const { address, domain } = splitAddress(alias.address);
    const account = lower(alias.account);
    writeTx(this.db, () => {
      if (this.nameRow(account)?.kind !== 'account') throw new NotFoundError('account', account);
      this.insertName(address, domain, 'alias', { account });
    });
  }

  async removeAlias(address: string): Promise<void> {
    writeTx(this.db, () => this.removeName(lower(address), 'alias'));
  }

  async aliasesOf(account: string): Promise<string[]> {
    const rows = this.sql<[string], { address: string }>(
      `SELECT address FROM dir_names WHERE kind = 'alias' AND json_extract(data, '$.account') = ? ORDER BY address`,
    ).all(lower(account));
    return rows.map((r) => r.address);
  }

  async listAliases(domain: string): Promise<AliasRecord[]> {
    return this.listKind(domain, 'alias').map(toAlias);
  }

  async addForwarder(forwarder: ForwarderRecord): Promise<void> {
    const { address, domain } = splitAddress(forwarder.address);
    this.insertName(address, domain, 'forwarder', { target: forwarder.target });
  }

  async removeForwarder(address: string): Promise<void> {
    writeTx(this.db, () => this.removeName(lower(address), 'forwarder'));
  }

  async listForwarders(domain: string): Promise<ForwarderRecord[]> {
    return this.listKind(domain, 'forwarder').map(toForwarder);
  }

  async lookupName(address: string): Promise<NameEntry | undefined> {
    const row = this.nameRow(lower(address));
    if (!row) return undefined;
    switch (row.kind) {
      case 'account':
        return { kind: 'account', account: toAccount(row) };
      case 'alias':
        return { kind: 'alias', alias: toAlias(row) };
      case 'forwarder':
        return { kind: 'forwarder', forwarder: toForwarder(row) };
    }
  }

  async getClusterSettings(): Promise<PartialSettings> {
    const text = this.sql('SELECT settings FROM dir_cluster WHERE id = 1').pluck().get() as
      | string
      | undefined;
    return text ? (JSON.parse(text) as PartialSettings) : {};
  }

  async updateClusterSettings(patch: PartialSettings): Promise<void> {
    writeTx(this.db, () => {
      const text = this.sql('SELECT settings FROM dir_cluster WHERE id = 1').pluck().get() as
        | string
        | undefined;
      const merged = mergeSettings(text ? (JSON.parse(text) as PartialSettings) : {}, patch);
      this.sql(
        'INSERT INTO dir_cluster (id, settings) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET settings = excluded.settings',
      ).run(JSON.stringify(merged));
    });
  }

  async dkimKeys(domain: string): Promise<DkimKeyRecord[]> {
    return dkimKeysOf(this.db, domain);
  }

  async addDkimKey(key: DkimKeyRecord, opts: { retireOthers?: boolean } = {}): Promise<void> {
    addDkimKey(this.db, key, opts.retireOthers === true);
  }

  async removeDkimKey(domain: string, selector: string): Promise<void> {
    removeDkimKey(this.db, domain, selector);
  }

  private nameRow(address: string): NameRow | undefined {
    return this.sql<[string], NameRow>('SELECT * FROM dir_names WHERE address = ?').get(address);
  }

  private listKind(domain: string, kind: Kind): NameRow[] {
    return this.sql<[string, Kind], NameRow>(
      'SELECT * FROM dir_names WHERE domain = ? AND kind = ? ORDER BY address',
    ).all(lower(domain), kind);
  }

  private insertName(address: string, domain: string, kind: Kind, data: object): void {
    writeTx(this.db, () => {
      const existing = this.nameRow(address);
      if (existing) throw new AlreadyExistsError(existing.kind, address);
      if (!this.sql('SELECT 1 FROM dir_domains WHERE name = ?').get(domain)) {
        throw new NotFoundError('domain', domain);
      }
      this.sql('INSERT INTO dir_names (address, domain, kind, data) VALUES (?, ?, ?, ?)').run(
        address,
        domain,
        kind,
        JSON.stringify(data),
      );
    });
  }

  private removeName(address: string, kind: Kind): void {
    const r = this.sql('DELETE FROM dir_names WHERE address = ? AND kind = ?').run(address, kind);
    if (r.changes === 0) throw new NotFoundError(kind, address);
  }

  private updateAccount(address: string, change: (data: AccountData) => AccountData): void {
    const key = lower(address);
    writeTx(this.db, () => {
      const row = this.nameRow(key);
      if (row?.kind !== 'account') throw new NotFoundError('account', key);
      const data = change(JSON.parse(row.data) as AccountData);
      this.sql('UPDATE dir_names SET data = ? WHERE address = ?').run(JSON.stringify(data), key);
    });
  }
}

/**
 * Merge a settings patch. JSON.stringify would silently drop `{ key: undefined }`, so keys
 * present with an undefined value are deleted explicitly (the setting is inherited again).
 */
export function mergeSettings(current: PartialSettings, patch: PartialSettings): PartialSettings {
  const out: Record<string, unknown> = { ...current };
  for (const key of Object.keys(patch)) {
    const value = (patch as Record<string, unknown>)[key];
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out as PartialSettings;
}

function lower(text: string): string {
  return text.toLowerCase();
}

function splitAddress(input: string): { address: string; domain: string } {
  const address = lower(input);
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw new InvalidAddressError(input, 'must be local@domain');
  return { address, domain: address.slice(at + 1) };
}

function toDomain(row: DomainRow): DomainRecord {
  return {
    name: row.name,
    mailToUnknown: JSON.parse(row.mail_to_unknown) as MailToUnknown,
    defaults: JSON.parse(row.defaults) as PartialSettings,
    ...(row.postmaster ? { postmaster: row.postmaster } : {}),
    createdAt: row.created_at,
  };
}

function toAccount(row: NameRow): AccountRecord {
  const data = JSON.parse(row.data) as AccountData;
  const record: {
    -readonly [K in keyof AccountRecord]: AccountRecord[K];
  } = {
    address: row.address,
    domain: row.domain,
    name: row.address.slice(0, row.address.length - row.domain.length - 1),
    settings: data.settings ?? {},
    createdAt: data.createdAt,
  };
  if (data.realName !== undefined) record.realName = data.realName;
  if (data.passwordHash !== undefined) record.passwordHash = data.passwordHash;
  return record;
}

function toAlias(row: NameRow): AliasRecord {
  return { address: row.address, account: (JSON.parse(row.data) as { account: string }).account };
}

function toForwarder(row: NameRow): ForwarderRecord {
  return { address: row.address, target: (JSON.parse(row.data) as { target: string }).target };
}
