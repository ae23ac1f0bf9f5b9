/**
 * REPLACED BY core/admin-access AT MERGE. A small in-memory AdminAccess for the admin HTTP tests
 * (and, until the merge, the admin process itself): administrators with plain-text passwords,
 * random session/CSRF/API tokens, a throttle after `maxFailures` failed sign-ins per name, and an
 * audit list filtered by the caller's domains. Not durable, not for production.
 */
import { randomBytes } from 'node:crypto';
import type { AdminAccess, AdminRole, AuditChange, LoginResult, Principal } from './access-types.ts';

/** The stand-in as the framework's AdminAccess (the real one also manages admins and tokens). */
export const asAdminAccess = (access: MemoryAdminAccess): AdminAccess => access as unknown as AdminAccess;

interface Admin {
  readonly name: string;
  password: string;
  readonly role: AdminRole;
  readonly domains: readonly string[];
}

const token = () => randomBytes(24).toString('base64url');

export class MemoryAdminAccess {
  readonly admins = new Map<string, Admin>();
  readonly sessions = new Map<string, { name: string; csrfToken: string; expiresAt: number }>();
  readonly tokens = new Map<string, string>();
  readonly audit: (AuditChange & { at: number })[] = [];
  private readonly failures = new Map<string, number>();

  constructor(private readonly opts: { maxFailures?: number; sessionMs?: number } = {}) {}

  addAdmin(name: string, password: string, role: AdminRole, domains: readonly string[] = []): void {
    this.admins.set(name, { name, password, role, domains });
  }

  /** An API token for `name` (Bearer). */
  addToken(name: string): string {
    const t = token();
    this.tokens.set(t, name);
    return t;
  }

  private principal(name: string, via: Principal['via']): Principal | undefined {
    const a = this.admins.get(name);
    return a ? { name: a.name, role: a.role, domains: a.domains, via } : undefined;
  }

  async login(name: string, password: string, _clientAddress: string): Promise<LoginResult> {
    const failed = this.failures.get(name) ?? 0;
    if (failed >= (this.opts.maxFailures ?? 5))
      return { ok: false, reason: 'throttled', retryAfterSeconds: 60 };
    const admin = this.admins.get(name);
    if (!admin || admin.password !== password) {
      this.failures.set(name, failed + 1);
      return { ok: false, reason: 'invalid' };
    }
    this.failures.delete(name);
    const sessionToken = token();
    const csrfToken = token();
    const expiresAt = Date.now() + (this.opts.sessionMs ?? 3600_000);
    this.sessions.set(sessionToken, { name, csrfToken, expiresAt });
    return { ok: true, principal: this.principal(name, 'session')!, sessionToken, csrfToken, expiresAt };
  }

  async sessionPrincipal(sessionToken: string) {
    const s = this.sessions.get(sessionToken);
    if (!s || s.expiresAt <= Date.now()) return undefined;
    const principal = this.principal(s.name, 'session');
    return principal ? { principal, csrfToken: s.csrfToken } : undefined;
  }

  async tokenPrincipal(bearer: string) {
    const name = this.tokens.get(bearer);
    return name ? this.principal(name, 'token') : undefined;
  }

  async logout(sessionToken: string): Promise<void> {
    this.sessions.delete(sessionToken);
  }

  async ensureFirstAdmin() {
    if (this.admins.size > 0) return undefined;
    const first = { name: 'admin', password: randomBytes(12).toString('base64url') };
    this.addAdmin(first.name, first.password, 'cluster');
    return first;
  }

  async recordChange(entry: AuditChange): Promise<void> {
    this.audit.push({ ...entry, at: Date.now() });
  }

  async listAudit(by: Principal, q: { limit: number; cursor?: string }) {
    const visible = this.audit
      .filter((e) => by.role === 'cluster' || (e.domain !== undefined && by.domains.includes(e.domain)))
      .reverse();
    const start = q.cursor ? Number(q.cursor) : 0;
    const items = visible.slice(start, start + q.limit).map((e) => ({ ...e, actor: e.actor.name }));
    const next = start + q.limit;
    return { items, ...(next < visible.length ? { nextCursor: String(next) } : {}) };
  }
}
