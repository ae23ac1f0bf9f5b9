/**
 * API tokens on real embedded storage: the token string is shown once and authenticates as its
 * administrator (with or without "Bearer "), only its hash is stored, a changed or unknown token
 * is nobody, revoked, disabled or removed means it stops working; a domain administrator lists and
 * revokes only its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { cliPrincipal, createAdminAccess, type Principal } from './admin-access.ts';
import { ForbiddenError, InvalidInputError, NotFoundAdminError } from './errors.ts';

let t: TempStorage | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

const op = cliPrincipal('operator');
const dora: Principal = { name: 'dora', role: 'domain', domains: ['example.com'], via: 'session' };

describe('API tokens', () => {
  it('authenticates scripts as their administrator until revoked', async () => {
    t = await tempStorage();
    const access = createAdminAccess({
      store: t.storage.admin,
      counters: t.storage.counters,
      clock: t.clock,
    });
    await access.createAdmin(op, { name: 'root', password: 'root-password', role: 'cluster' });
    await access.createAdmin(op, {
      name: 'dora',
      password: 'dora-password',
      role: 'domain',
      domains: ['example.com'],
    });
    const root: Principal = { name: 'root', role: 'cluster', domains: [], via: 'session' };
    const mine = await access.createToken(dora, 'backup script');
    t.clock.advance(1000);
    const theirs = await access.createToken(root, 'deploy');
    expect(mine.token).toMatch(/^strato_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(await access.tokenPrincipal(`Bearer ${mine.token}`)).toEqual({ ...dora, via: 'token' });
    expect(await access.tokenPrincipal(mine.token)).toEqual({ ...dora, via: 'token' });
    const stored = await t.storage.admin.getToken(mine.id);
    expect(JSON.stringify(stored)).not.toContain(mine.token.split('.')[1]);
    expect(stored?.lastUsedAt).toBe(t.clock.now());
    expect(await access.tokenPrincipal(`${mine.token.slice(0, -2)}xx`)).toBeUndefined();
    expect(await access.tokenPrincipal('Bearer nonsense')).toBeUndefined();
    expect(await access.tokenPrincipal('')).toBeUndefined();

    expect((await access.listTokens(dora)).map((x) => x.id)).toEqual([mine.id]);
    expect((await access.listTokens(root)).map((x) => x.label)).toEqual(['backup script', 'deploy']);
    for (const v of await access.listTokens(root))
      expect(Object.keys(v).sort()).toEqual(
        ['admin', 'createdAt', 'id', 'label', 'lastUsedAt'].filter((k) => k in v),
      );
    await expect(access.revokeToken(dora, theirs.id)).rejects.toThrow(ForbiddenError);
    await expect(access.revokeToken(dora, 'no-such-token')).rejects.toThrow(NotFoundAdminError);
    await expect(access.createToken(dora, '  ')).rejects.toThrow(InvalidInputError);
    await access.revokeToken(dora, mine.id);
    expect(await access.tokenPrincipal(mine.token)).toBeUndefined();

    // A disabled administrator's token stops working; removing the administrator revokes it.
    const again = await access.createToken(dora, 'monitoring');
    await access.updateAdmin(op, 'dora', { disabled: true });
    expect(await access.tokenPrincipal(again.token)).toBeUndefined();
    await access.removeAdmin(op, 'dora');
    expect(await t.storage.admin.getToken(again.id)).toBeUndefined();

    const actions = (await access.listAudit(root, { limit: 50 })).items.map((r) => `${r.actor} ${r.action}`);
    expect(actions).toContain('dora token.create');
    expect(actions).toContain('dora token.revoke');
  });
});
