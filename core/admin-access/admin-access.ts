/**
 * Admin access, the one entry point of core/admin-access: who the administrators are, how they
 * log in (sessions with a CSRF token each) or authenticate scripts (API tokens), what each may do
 * (cluster administrators everything, domain administrators their domains), and the audit trail
 * every change writes. The admin API (adapters/net/admin-http) and `strato admin` use it.
 * Failure: the admin errors of core/admin/errors.ts for what a caller can cause; store and counter
 * faults propagate.
 */
import { DEFAULT_ADMIN_ACCESS } from '../config/defaults.ts';
import type { AdminStore, AuditPage } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import { type AdminView, createAdmins } from './admins.ts';
import { type AuditQueryInput, type AuditView, type ChangeEntry, listAudit, recordChange } from './audit.ts';
import type { AdminRole, Principal } from './principal.ts';
import { sameSecret } from './secrets.ts';
import { createSessions, type LoginResult, type SessionSettings } from './sessions.ts';
import { createTokens, type TokenView } from './tokens.ts';

export type { AdminPatch, AdminView } from './admins.ts';
export type { AuditQueryInput, AuditView, ChangeEntry } from './audit.ts';
export {
  type AdminRole,
  cliPrincipal,
  mayManageDomain,
  type Principal,
  requireClusterAdmin,
  requireDomainAccess,
} from './principal.ts';
export type { LoginResult, SessionSettings } from './sessions.ts';
export type { TokenView } from './tokens.ts';

export interface AdminAccessSettings extends SessionSettings {
  /** The name of the administrator `ensureFirstAdmin` makes. */
  readonly firstAdminName: string;
}

export interface AdminAccess {
  login(name: string, password: string, clientAddress: string): Promise<LoginResult>;
  /** The session behind a cookie value (refreshes its idle expiry), or undefined. */
  sessionPrincipal(sessionToken: string): Promise<{ principal: Principal; csrfToken: string } | undefined>;
  /** The principal behind an "Authorization: Bearer <token>" value (or the bare token), or undefined. */
  tokenPrincipal(bearer: string): Promise<Principal | undefined>;
  logout(sessionToken: string): Promise<void>;
  /** Made once, when no administrator exists: a cluster administrator with a random password. */
  ensureFirstAdmin(): Promise<{ name: string; password: string } | undefined>;
  /** All administrators for a cluster administrator; a domain administrator sees only itself. */
  listAdmins(by: Principal): Promise<AdminView[]>;
  createAdmin(
    by: Principal,
    input: { name: string; password: string; role: AdminRole; domains?: string[] },
  ): Promise<AdminView>;
  /** Cluster administrators change anyone; anyone may change their own password. */
  updateAdmin(
    by: Principal,
    name: string,
    patch: { password?: string; role?: AdminRole; domains?: string[]; disabled?: boolean },
  ): Promise<AdminView>;
  removeAdmin(by: Principal, name: string): Promise<void>;
  /** The token string is returned here only. */
  createToken(by: Principal, label: string): Promise<{ id: string; token: string }>;
  /** A cluster administrator's listing holds every token, anyone else's its own. */
  listTokens(by: Principal): Promise<TokenView[]>;
  revokeToken(by: Principal, id: string): Promise<void>;
  recordChange(entry: ChangeEntry): Promise<void>;
  /** Newest first; domain administrators see their domains' records only (`domain` narrows further). */
  listAudit(by: Principal, q: AuditQueryInput): Promise<{ items: AuditView[]; nextCursor?: string }>;
  /** Constant-time check of the CSRF token a change request sent against its session's. */
  csrfMatches(expected: string, given: string | undefined): boolean;
}

export interface AdminAccessDeps {
  readonly store: AdminStore;
  readonly counters: Counters;
  readonly clock: Clock;
  /** Defaults: DEFAULT_ADMIN_ACCESS (core/config/defaults.ts). */
  readonly settings?: Partial<AdminAccessSettings>;
}

export function createAdminAccess(deps: AdminAccessDeps): AdminAccess {
  const settings: AdminAccessSettings = { ...DEFAULT_ADMIN_ACCESS, ...deps.settings };
  const { store, clock } = deps;
  const sessions = createSessions({ store, clock, counters: deps.counters, settings });
  const admins = createAdmins({ store, clock, firstAdminName: settings.firstAdminName });
  const tokens = createTokens({ store, clock });
  return {
    ...sessions,
    ...admins,
    ...tokens,
    recordChange: (entry: ChangeEntry) => recordChange(store, clock, entry),
    listAudit: (by: Principal, q: AuditQueryInput): Promise<AuditPage> => listAudit(store, by, q),
    csrfMatches: (expected: string, given: string | undefined) =>
      typeof given === 'string' && given.length > 0 && sameSecret(expected, given),
  };
}
