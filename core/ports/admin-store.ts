/**
 * AdminStore port: the administrators of the admin API and WebAdmin, their login sessions, their
 * API tokens and the audit trail of every change. Secrets are never stored: a session is kept
 * under the SHA-256 of its cookie value, a token under the SHA-256 of its secret, a password as
 * an scrypt hash (core/auth/password.ts). core/admin-access is the only user; it decides who may
 * do what. Failure: storage faults propagate to the caller.
 */

export type AdminRoleName = 'cluster' | 'domain';

export interface AdminRecord {
  /** The login name, lower case (core/admin-access normalises it). */
  readonly name: string;
  readonly passwordHash: string;
  readonly role: AdminRoleName;
  /** The domains a domain administrator manages (lower case); empty for a cluster administrator. */
  readonly domains: readonly string[];
  /** ms since epoch. */
  readonly createdAt: number;
  /** A disabled administrator cannot log in, and its sessions and tokens stop working. */
  readonly disabled?: boolean;
}

export interface AdminSessionRecord {
  /** SHA-256 (hex) of the session cookie value. */
  readonly idHash: string;
  /** The administrator's name. */
  readonly admin: string;
  /** Sent back with every change (double submit); random per session. */
  readonly csrfToken: string;
  readonly createdAt: number;
  /** ms since epoch: min(lastSeenAt + idle timeout, createdAt + absolute lifetime). */
  readonly expiresAt: number;
  readonly lastSeenAt: number;
}

export interface ApiTokenRecord {
  /** Public part of the token (also in the token string), unique. */
  readonly id: string;
  readonly admin: string;
  readonly label: string;
  /** SHA-256 (hex) of the token's secret part. */
  readonly secretHash: string;
  readonly createdAt: number;
  readonly lastUsedAt?: number;
}

export type AuditVia = 'session' | 'token' | 'cli';

export interface AuditRecord {
  /** Time-ordered id (core/util/ids.ts newQueueId of `at`): sorting ids sorts by time. */
  readonly id: string;
  readonly at: number;
  /** The administrator's name (or the operator's, for the CLI). */
  readonly actor: string;
  readonly via: AuditVia;
  /** What was done, "<object>.<verb>": `account.update`, `admin.create`, `token.revoke`. */
  readonly action: string;
  /** What it was done to: an address, a domain, an administrator's name, a queue id. */
  readonly target: string;
  /** The domain the change concerns (lower case), so a domain administrator sees it. */
  readonly domain?: string;
  /** The object before and after (JSON values; secrets left out by the caller). */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly clientAddress?: string;
}

export interface AuditQuery {
  readonly limit: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** Only records of this domain (lower case). */
  readonly domain?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly items: AuditRecord[];
  /** Present when there may be more (pass it back as `cursor`). */
  readonly nextCursor?: string;
}

export interface AdminStore {
  getAdmin(name: string): Promise<AdminRecord | undefined>;
  /** Every administrator, sorted by name. */
  listAdmins(): Promise<AdminRecord[]>;
  /** Add a new administrator; false (nothing written) when the name is taken. */
  addAdmin(admin: AdminRecord): Promise<boolean>;
  /** Replace an existing administrator; false (nothing written) when there is none of that name. */
  updateAdmin(admin: AdminRecord): Promise<boolean>;
  /** Remove an administrator; false when there was none. Its sessions and tokens stay (they stop working). */
  removeAdmin(name: string): Promise<boolean>;

  putSession(session: AdminSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<AdminSessionRecord | undefined>;
  /** Record activity: new lastSeenAt and expiresAt (no-op when the session is gone). */
  touchSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void>;
  removeSession(idHash: string): Promise<void>;
  /** Remove every session of an administrator (password change, disable, remove). */
  removeSessionsOf(admin: string): Promise<void>;

  putToken(token: ApiTokenRecord): Promise<void>;
  getToken(id: string): Promise<ApiTokenRecord | undefined>;
  /** The tokens of one administrator, or of all when `admin` is undefined; oldest first. */
  listTokens(admin?: string): Promise<ApiTokenRecord[]>;
  touchToken(id: string, lastUsedAt: number): Promise<void>;
  /** false when there was none. */
  removeToken(id: string): Promise<boolean>;

  appendAudit(record: AuditRecord): Promise<void>;
  listAudit(query: AuditQuery): Promise<AuditPage>;
}
