/**
 * Login, sessions and the login lockout on real embedded storage with a test clock: a good login
 * makes a session with its own CSRF token (only its hash is stored); a wrong password, an unknown
 * name and a disabled administrator get the identical answer; failures lock the name and the
 * address (unknown names alike) until the window ends, apart from SMTP AUTH's counts; sessions end
 * after the idle timeout, the absolute lifetime, logout, or when the administrator is disabled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import {
  type AdminAccess,
  type AdminAccessSettings,
  cliPrincipal,
  createAdminAccess,
} from './admin-access.ts';
import { sha256Hex } from './secrets.ts';

let t: TempStorage | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function setup(settings: Partial<AdminAccessSettings> = {}): Promise<AdminAccess> {
  t = await tempStorage();
  return createAdminAccess({
    store: t.storage.admin,
    counters: t.storage.counters,
    clock: t.clock,
    settings,
  });
}

const MIN = 60_000;
const IP = '192.0.2.10';

describe('admin login and sessions', () => {
  it('makes the first administrator once and logs it in with a session and its own CSRF token', async () => {
    const access = await setup();
    const first = await access.ensureFirstAdmin();
    expect(first?.name).toBe('admin');
    expect(first?.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await access.ensureFirstAdmin()).toBeUndefined();

    const a = await access.login('Admin', first!.password, IP);
    const b = await access.login('admin', first!.password, IP);
    if (!a.ok || !b.ok) throw new Error('login failed');
    expect(a.principal).toEqual({ name: 'admin', role: 'cluster', domains: [], via: 'session' });
    expect(a.sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.expiresAt).toBe(t!.clock.now() + 30 * MIN);
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.sessionToken).not.toBe(b.sessionToken);
    expect(await access.sessionPrincipal(a.sessionToken)).toEqual({
      principal: a.principal,
      csrfToken: a.csrfToken,
    });
    expect((await access.sessionPrincipal(b.sessionToken))?.csrfToken).toBe(b.csrfToken);
    expect(access.csrfMatches(a.csrfToken, a.csrfToken)).toBe(true);
    expect(access.csrfMatches(a.csrfToken, b.csrfToken)).toBe(false);
    expect(access.csrfMatches(a.csrfToken, undefined)).toBe(false);
    // Only the hash is stored: the cookie value itself finds nothing in the store.
    expect(await t!.storage.admin.getSession(a.sessionToken)).toBeUndefined();
    expect((await t!.storage.admin.getSession(sha256Hex(a.sessionToken)))?.admin).toBe('admin');
    expect(await access.sessionPrincipal('not a token')).toBeUndefined();
    // One character changed (never to itself: the last character is 'A' one time in 16).
    const last = a.sessionToken.endsWith('A') ? 'B' : 'A';
    expect(await access.sessionPrincipal(`${a.sessionToken.slice(0, -1)}${last}`)).toBeUndefined();
  });

  it('answers a wrong password, an unknown name and a disabled administrator identically', async () => {
    const access = await setup();
    const root = cliPrincipal('operator');
    await access.createAdmin(root, { name: 'alice', password: 'alice-password', role: 'cluster' });
    await access.createAdmin(root, { name: 'bob', password: 'bob-password', role: 'cluster' });
    await access.updateAdmin(root, 'bob', { disabled: true });
    const wrong = await access.login('alice', 'not-her-password', IP);
    const unknown = await access.login('nobody', 'alice-password', IP);
    const disabled = await access.login('bob', 'bob-password', IP);
    expect(wrong).toEqual({ ok: false, reason: 'invalid' });
    expect(unknown).toEqual(wrong);
    expect(disabled).toEqual(wrong);
    expect((await access.login('alice', 'alice-password', IP)).ok).toBe(true);
  });

  it('throttles a name after its failures, known or not, the right password too, until the window ends', async () => {
    const access = await setup({
      loginFailuresPerName: 3,
      loginFailuresPerAddress: 100,
      loginFailureWindowSeconds: 900,
    });
    t!.clock.set(Date.UTC(2026, 0, 1, 10, 0, 0));
    await access.createAdmin(cliPrincipal('op'), {
      name: 'alice',
      password: 'alice-password',
      role: 'cluster',
    });
    for (let i = 0; i < 3; i++) {
      expect(await access.login('alice', 'wrong-password', `198.51.100.${i}`)).toEqual({
        ok: false,
        reason: 'invalid',
      });
      expect(await access.login('ghost', 'wrong-password', `198.51.100.${i}`)).toEqual({
        ok: false,
        reason: 'invalid',
      });
    }
    t!.clock.advance(5 * MIN);
    const known = await access.login('alice', 'alice-password', '203.0.113.5');
    const ghost = await access.login('ghost', 'whatever-password', '203.0.113.5');
    expect(known).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 600 });
    expect(ghost).toEqual(known);
    // Kept apart from SMTP AUTH's counts (an account "alice" is not locked by this).
    expect(await t!.storage.counters.peek('authfail:user:alice', 900)).toBe(0);
    t!.clock.advance(10 * MIN);
    expect((await access.login('alice', 'alice-password', '203.0.113.5')).ok).toBe(true);
  });

  it('throttles a client address after its failures over any names', async () => {
    const access = await setup({ loginFailuresPerName: 100, loginFailuresPerAddress: 2 });
    await access.createAdmin(cliPrincipal('op'), {
      name: 'alice',
      password: 'alice-password',
      role: 'cluster',
    });
    await access.login('x1', 'password1', IP);
    await access.login('x2', 'password2', IP);
    const refused = await access.login('alice', 'alice-password', IP);
    expect(refused).toMatchObject({ ok: false, reason: 'throttled' });
    expect((await access.login('alice', 'alice-password', '192.0.2.99')).ok).toBe(true);
  });

  it('ends a session after its idle timeout and after its absolute lifetime', async () => {
    const access = await setup({ sessionIdleSeconds: 30 * 60, sessionMaxSeconds: 2 * 3600 });
    await access.createAdmin(cliPrincipal('op'), {
      name: 'alice',
      password: 'alice-password',
      role: 'cluster',
    });
    const idle = await access.login('alice', 'alice-password', IP);
    const busy = await access.login('alice', 'alice-password', IP);
    if (!idle.ok || !busy.ok) throw new Error('login failed');
    t!.clock.advance(29 * MIN);
    expect(await access.sessionPrincipal(idle.sessionToken)).toBeDefined();
    t!.clock.advance(29 * MIN);
    expect(await access.sessionPrincipal(idle.sessionToken)).toBeDefined();
    t!.clock.advance(31 * MIN);
    expect(await access.sessionPrincipal(idle.sessionToken)).toBeUndefined();
    // The busy session, used every 20 minutes, still ends 2 hours after login.
    const start = busy.expiresAt - 30 * MIN;
    t!.clock.set(start);
    for (let at = start + 20 * MIN; at < start + 120 * MIN; at += 20 * MIN) {
      t!.clock.set(at);
      expect(await access.sessionPrincipal(busy.sessionToken), `at ${(at - start) / MIN} min`).toBeDefined();
    }
    t!.clock.set(start + 120 * MIN);
    expect(await access.sessionPrincipal(busy.sessionToken)).toBeUndefined();
  });

  it('ends sessions on logout, when the administrator is disabled, and when someone else sets its password', async () => {
    const access = await setup();
    const op = cliPrincipal('op');
    await access.createAdmin(op, { name: 'root', password: 'root-password', role: 'cluster' });
    await access.createAdmin(op, { name: 'alice', password: 'alice-password', role: 'cluster' });
    const login = async () => {
      const r = await access.login('alice', 'alice-password', IP);
      if (!r.ok) throw new Error('login failed');
      return r;
    };
    const a = await login();
    await access.logout(a.sessionToken);
    expect(await access.sessionPrincipal(a.sessionToken)).toBeUndefined();

    const b = await login();
    // Changing one's own password keeps one's sessions.
    await access.updateAdmin(b.principal, 'alice', { password: 'alice-password' });
    expect(await access.sessionPrincipal(b.sessionToken)).toBeDefined();
    await access.updateAdmin(op, 'alice', { password: 'alice-password' });
    expect(await access.sessionPrincipal(b.sessionToken)).toBeUndefined();

    const c = await login();
    await access.updateAdmin(op, 'alice', { disabled: true });
    expect(await access.sessionPrincipal(c.sessionToken)).toBeUndefined();
  });
});
