/**
 * Logging in and being recognised: `login` checks the lockout, then the password (scrypt; an
 * unknown or disabled name costs the same scrypt run and gets the same answer as a wrong
 * password), counts a failure cluster-wide per client address and per name (core/intake's AUTH
 * lockout over Counters, under keys of their own), and on success stores a session under the
 * SHA-256 of a fresh 32-byte cookie value with its own CSRF token. A session ends after its idle
 * timeout or its absolute lifetime, whichever comes first, or when its administrator is disabled
 * or removed; an API token works while its administrator exists and is enabled.
 * Failure: store and counter faults propagate (the admin API answers 500/503).
 */
import { hashPassword, verifyPassword } from '../auth/password.ts';
import { type AuthLockoutLimits, authLockout, recordAuthFailure } from '../intake/auth-lockout.ts';
import type { AdminRecord, AdminStore } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import { normaliseAdminName } from './input.ts';
import type { Principal } from './principal.ts';
import { isSecret, newSecret, parseApiToken, sameSecret, sha256Hex } from './secrets.ts';

export type LoginResult =
  | { ok: true; principal: Principal; sessionToken: string; csrfToken: string; expiresAt: number }
  | { ok: false; reason: 'invalid' | 'throttled'; retryAfterSeconds?: number };

export interface SessionSettings {
  readonly sessionIdleSeconds: number;
  readonly sessionMaxSeconds: number;
  readonly loginFailuresPerAddress: number;
  readonly loginFailuresPerName: number;
  readonly loginFailureWindowSeconds: number;
}

export interface SessionDeps {
  readonly store: AdminStore;
  readonly counters: Counters;
  readonly clock: Clock;
  readonly settings: SessionSettings;
}

/** A session's lastSeenAt is written at most this often (every request would be a write). */
const TOUCH_EVERY_MS = 10_000;
const TOKEN_TOUCH_EVERY_MS = 60_000;

/** Admin login failures are counted apart from SMTP AUTH failures (same logic, other keys). */
function adminCounters(counters: Counters): Counters {
  const k = (key: string) => `admin:${key}`;
  return {
    tryConsume: (key, w, limit, amount) => counters.tryConsume(k(key), w, limit, amount),
    add: (key, w, amount) => counters.add(k(key), w, amount),
    peek: (key, w) => counters.peek(k(key), w),
  };
}

let decoyHash: Promise<string> | undefined;
/** A real hash of a random password, made once, to spend the same time on unknown names. */
function decoy(): Promise<string> {
  decoyHash ??= hashPassword(newSecret());
  return decoyHash;
}

export function principalOf(a: AdminRecord, via: Principal['via']): Principal {
  return { name: a.name, role: a.role, domains: [...a.domains], via };
}

export function sessionExpiry(s: SessionSettings, createdAt: number, now: number): number {
  return Math.min(now + s.sessionIdleSeconds * 1000, createdAt + s.sessionMaxSeconds * 1000);
}

export function createSessions(deps: SessionDeps) {
  const { store, clock, settings } = deps;
  const counters = adminCounters(deps.counters);
  const limits: AuthLockoutLimits = {
    authFailuresPerAddress: settings.loginFailuresPerAddress,
    authFailuresPerAccount: settings.loginFailuresPerName,
    authFailureWindowSeconds: settings.loginFailureWindowSeconds,
  };
  const retryAfter = (): number => {
    const windowMs = settings.loginFailureWindowSeconds * 1000;
    const now = clock.now();
    return Math.max(1, Math.ceil((Math.floor(now / windowMs) * windowMs + windowMs - now) / 1000));
  };

  async function login(name: string, password: string, clientAddress: string): Promise<LoginResult> {
    const key = normaliseAdminName(String(name));
    if (await authLockout(counters, limits, clientAddress, key)) {
      return { ok: false, reason: 'throttled', retryAfterSeconds: retryAfter() };
    }
    const admin = key === '' ? undefined : await store.getAdmin(key);
    const passwordOk = await verifyPassword(String(password), admin ? admin.passwordHash : await decoy());
    if (!admin || !passwordOk || admin.disabled) {
      await recordAuthFailure(counters, limits, clientAddress, key);
      return { ok: false, reason: 'invalid' };
    }
    const sessionToken = newSecret();
    const csrfToken = newSecret();
    const now = clock.now();
    const expiresAt = sessionExpiry(settings, now, now);
    await store.putSession({
      idHash: sha256Hex(sessionToken),
      admin: admin.name,
      csrfToken,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
    });
    return { ok: true, principal: principalOf(admin, 'session'), sessionToken, csrfToken, expiresAt };
  }

  async function sessionPrincipal(
    sessionToken: string,
  ): Promise<{ principal: Principal; csrfToken: string } | undefined> {
    if (typeof sessionToken !== 'string' || !isSecret(sessionToken)) return undefined;
    const idHash = sha256Hex(sessionToken);
    const session = await store.getSession(idHash);
    if (!session) return undefined;
    const now = clock.now();
    if (session.expiresAt <= now) {
      await store.removeSession(idHash);
      return undefined;
    }
    const admin = await store.getAdmin(session.admin);
    if (!admin || admin.disabled) {
      await store.removeSession(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      await store.touchSession(idHash, now, sessionExpiry(settings, session.createdAt, now));
    }
    return { principal: principalOf(admin, 'session'), csrfToken: session.csrfToken };
  }

  async function tokenPrincipal(bearer: string): Promise<Principal | undefined> {
    const parsed = typeof bearer === 'string' ? parseApiToken(bearer) : undefined;
    if (!parsed) return undefined;
    const token = await store.getToken(parsed.id);
    if (!token || !sameSecret(token.secretHash, sha256Hex(parsed.secret))) return undefined;
    const admin = await store.getAdmin(token.admin);
    if (!admin || admin.disabled) return undefined;
    const now = clock.now();
    if (token.lastUsedAt === undefined || now - token.lastUsedAt >= TOKEN_TOUCH_EVERY_MS) {
      await store.touchToken(token.id, now);
    }
    return principalOf(admin, 'token');
  }

  async function logout(sessionToken: string): Promise<void> {
    if (typeof sessionToken === 'string' && isSecret(sessionToken)) {
      await store.removeSession(sha256Hex(sessionToken));
    }
  }

  return { login, sessionPrincipal, tokenPrincipal, logout };
}
