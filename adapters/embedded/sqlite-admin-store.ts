/**
 * AdminStore on SQLite (admin.db: written only by the admin API and the CLI, so never in the way
 * of mail): administrators, sessions, API tokens and the audit trail, one table each. Expired
 * sessions are deleted when a new one is stored. Audit records carry their before/after as JSON
 * text and are listed newest first by id (time-ordered), the cursor being the last id returned.
 * Failure: SQLite faults propagate to the caller.
 */
import type {
  AdminRecord,
  AdminSessionRecord,
  AdminStore,
  ApiTokenRecord,
  AuditPage,
  AuditQuery,
  AuditRecord,
} from '../../core/ports/admin-store.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE admins (
     name TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL,
     domains TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     disabled INTEGER NOT NULL DEFAULT 0
   ) WITHOUT ROWID;
   CREATE TABLE admin_sessions (
     id_hash TEXT PRIMARY KEY,
     admin TEXT NOT NULL,
     csrf_token TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_seen_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX admin_sessions_admin ON admin_sessions (admin);
   CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at);
   CREATE TABLE admin_tokens (
     id TEXT PRIMARY KEY,
     admin TEXT NOT NULL,
     label TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER
   ) WITHOUT ROWID;
   CREATE TABLE admin_audit (
     id TEXT PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     via TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT NOT NULL,
     domain TEXT,
     before_json TEXT,
     after_json TEXT,
     client_address TEXT
   ) WITHOUT ROWID;
   CREATE INDEX admin_audit_domain ON admin_audit (domain, id);`,
];

interface AdminRow {
  name: string;
  password_hash: string;
  role: AdminRecord['role'];
  domains: string;
  created_at: number;
  disabled: number;
}
interface SessionRow {
  id_hash: string;
  admin: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
}
interface TokenRow {
  id: string;
  admin: string;
  label: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
}
interface AuditRow {
  id: string;
  at: number;
  actor: string;
  via: AuditRecord['via'];
  action: string;
  target: string;
  domain: string | null;
  before_json: string | null;
  after_json: string | null;
  client_address: string | null;
}

const adminFrom = (r: AdminRow): AdminRecord => ({
  name: r.name,
  passwordHash: r.password_hash,
  role: r.role,
  domains: JSON.parse(r.domains) as string[],
  createdAt: r.created_at,
  ...(r.disabled ? { disabled: true } : {}),
});
const sessionFrom = (r: SessionRow): AdminSessionRecord => ({
  idHash: r.id_hash,
  admin: r.admin,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastSeenAt: r.last_seen_at,
});
const tokenFrom = (r: TokenRow): ApiTokenRecord => ({
  id: r.id,
  admin: r.admin,
  label: r.label,
  secretHash: r.secret_hash,
  createdAt: r.created_at,
  ...(r.last_used_at !== null ? { lastUsedAt: r.last_used_at } : {}),
});
const auditFrom = (r: AuditRow): AuditRecord => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  via: r.via,
  action: r.action,
  target: r.target,
  ...(r.domain !== null ? { domain: r.domain } : {}),
  ...(r.before_json !== null ? { before: JSON.parse(r.before_json) } : {}),
  ...(r.after_json !== null ? { after: JSON.parse(r.after_json) } : {}),
  ...(r.client_address !== null ? { clientAddress: r.client_address } : {}),
});

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
/** Past every id, so a first page starts at the newest record. */
const TOP = '\u{10FFFF}';

export class SqliteAdminStore implements AdminStore {
  private readonly stmt;

  constructor(db: Db) {
    migrate(db, 'admin', MIGRATIONS);
    this.stmt = {
      getAdmin: db.prepare<[string], AdminRow>('SELECT * FROM admins WHERE name = ?'),
      listAdmins: db.prepare<[], AdminRow>('SELECT * FROM admins ORDER BY name'),
      addAdmin: db.prepare(
        `INSERT INTO admins (name, password_hash, role, domains, created_at, disabled)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING`,
      ),
      updateAdmin: db.prepare(
        'UPDATE admins SET password_hash = ?, role = ?, domains = ?, created_at = ?, disabled = ? WHERE name = ?',
      ),
      removeAdmin: db.prepare('DELETE FROM admins WHERE name = ?'),
      putSession: db.prepare(
        `INSERT OR REPLACE INTO admin_sessions (id_hash, admin, csrf_token, created_at, expires_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      pruneSessions: db.prepare('DELETE FROM admin_sessions WHERE expires_at < ?'),
      getSession: db.prepare<[string], SessionRow>('SELECT * FROM admin_sessions WHERE id_hash = ?'),
      touchSession: db.prepare(
        'UPDATE admin_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?',
      ),
      removeSession: db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?'),
      removeSessionsOf: db.prepare('DELETE FROM admin_sessions WHERE admin = ?'),
      putToken: db.prepare(
        `INSERT OR REPLACE INTO admin_tokens (id, admin, label, secret_hash, created_at, last_used_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      getToken: db.prepare<[string], TokenRow>('SELECT * FROM admin_tokens WHERE id = ?'),
      listTokens: db.prepare<[], TokenRow>('SELECT * FROM admin_tokens ORDER BY created_at, id'),
      listTokensOf: db.prepare<[string], TokenRow>(
        'SELECT * FROM admin_tokens WHERE admin = ? ORDER BY created_at, id',
      ),
      touchToken: db.prepare('UPDATE admin_tokens SET last_used_at = ? WHERE id = ?'),
      removeToken: db.prepare('DELETE FROM admin_tokens WHERE id = ?'),
      appendAudit: db.prepare(
        `INSERT INTO admin_audit (id, at, actor, via, action, target, domain, before_json, after_json, client_address)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      audit: db.prepare<[string, number], AuditRow>(
        'SELECT * FROM admin_audit WHERE id < ? ORDER BY id DESC LIMIT ?',
      ),
      auditOf: db.prepare<[string, string, number], AuditRow>(
        'SELECT * FROM admin_audit WHERE domain = ? AND id < ? ORDER BY id DESC LIMIT ?',
      ),
    };
  }

  async getAdmin(name: string): Promise<AdminRecord | undefined> {
    const row = this.stmt.getAdmin.get(name);
    return row ? adminFrom(row) : undefined;
  }

  async listAdmins(): Promise<AdminRecord[]> {
    return this.stmt.listAdmins.all().map(adminFrom);
  }

  async addAdmin(a: AdminRecord): Promise<boolean> {
    const r = this.stmt.addAdmin.run(
      a.name,
      a.passwordHash,
      a.role,
      JSON.stringify(a.domains),
      a.createdAt,
      a.disabled ? 1 : 0,
    );
    return r.changes > 0;
  }

  async updateAdmin(a: AdminRecord): Promise<boolean> {
    const r = this.stmt.updateAdmin.run(
      a.passwordHash,
      a.role,
      JSON.stringify(a.domains),
      a.createdAt,
      a.disabled ? 1 : 0,
      a.name,
    );
    return r.changes > 0;
  }

  async removeAdmin(name: string): Promise<boolean> {
    return this.stmt.removeAdmin.run(name).changes > 0;
  }

  async putSession(s: AdminSessionRecord): Promise<void> {
    this.stmt.pruneSessions.run(s.createdAt);
    this.stmt.putSession.run(s.idHash, s.admin, s.csrfToken, s.createdAt, s.expiresAt, s.lastSeenAt);
  }

  async getSession(idHash: string): Promise<AdminSessionRecord | undefined> {
    const row = this.stmt.getSession.get(idHash);
    return row ? sessionFrom(row) : undefined;
  }

  async touchSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    this.stmt.touchSession.run(lastSeenAt, expiresAt, idHash);
  }

  async removeSession(idHash: string): Promise<void> {
    this.stmt.removeSession.run(idHash);
  }

  async removeSessionsOf(admin: string): Promise<void> {
    this.stmt.removeSessionsOf.run(admin);
  }

  async putToken(t: ApiTokenRecord): Promise<void> {
    this.stmt.putToken.run(t.id, t.admin, t.label, t.secretHash, t.createdAt, t.lastUsedAt ?? null);
  }

  async getToken(id: string): Promise<ApiTokenRecord | undefined> {
    const row = this.stmt.getToken.get(id);
    return row ? tokenFrom(row) : undefined;
  }

  async listTokens(admin?: string): Promise<ApiTokenRecord[]> {
    const rows = admin === undefined ? this.stmt.listTokens.all() : this.stmt.listTokensOf.all(admin);
    return rows.map(tokenFrom);
  }

  async touchToken(id: string, lastUsedAt: number): Promise<void> {
    this.stmt.touchToken.run(lastUsedAt, id);
  }

  async removeToken(id: string): Promise<boolean> {
    return this.stmt.removeToken.run(id).changes > 0;
  }

  async appendAudit(r: AuditRecord): Promise<void> {
    this.stmt.appendAudit.run(
      r.id,
      r.at,
      r.actor,
      r.via,
      r.action,
      r.target,
      r.domain ?? null,
      json(r.before),
      json(r.after),
      r.clientAddress ?? null,
    );
  }

  async listAudit(q: AuditQuery): Promise<AuditPage> {
    const limit = Math.max(1, Math.floor(q.limit));
    const from = q.cursor ?? TOP;
    // One more than asked: whether a next page exists.
    const rows =
      q.domain === undefined
        ? this.stmt.audit.all(from, limit + 1)
        : this.stmt.auditOf.all(q.domain, from, limit + 1);
    const items = rows.slice(0, limit).map(auditFrom);
    return rows.length > limit ? { items, nextCursor: items[items.length - 1]!.id } : { items };
  }
}
