/**
 * REPLACED BY core/admin-access AT MERGE: a copy of the access layer's type declarations
 * (administrators, sessions, API tokens, the audit trail) that the admin HTTP framework codes
 * against while core/admin-access is built on another branch. Types only: no behaviour lives here,
 * so the merge swaps the imports of this file for core/admin-access and deletes it.
 */

export type AdminRole = 'cluster' | 'domain';

export interface Principal {
  readonly name: string;
  readonly role: AdminRole;
  readonly domains: readonly string[];
  readonly via: 'session' | 'token' | 'cli';
}

export type LoginResult =
  | { ok: true; principal: Principal; sessionToken: string; csrfToken: string; expiresAt: number }
  | { ok: false; reason: 'invalid' | 'throttled'; retryAfterSeconds?: number };

export interface AuditChange {
  readonly actor: Principal;
  readonly action: string;
  readonly target: string;
  readonly domain?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly clientAddress?: string;
}

export interface AdminAccess {
  login(name: string, password: string, clientAddress: string): Promise<LoginResult>;
  sessionPrincipal(sessionToken: string): Promise<{ principal: Principal; csrfToken: string } | undefined>;
  tokenPrincipal(bearer: string): Promise<Principal | undefined>;
  logout(sessionToken: string): Promise<void>;
  ensureFirstAdmin(): Promise<{ name: string; password: string } | undefined>;
  recordChange(entry: AuditChange): Promise<void>;
  listAudit(
    by: Principal,
    q: { limit: number; cursor?: string },
  ): Promise<{ items: unknown[]; nextCursor?: string }>;
}
