/**
 * Roles and administrator management on real embedded storage: only cluster administrators manage
 * administrators (a domain administrator sees and changes only its own password), input errors
 * name their field, a domain administrator needs domains, and the last enabled cluster
 * administrator cannot be removed, disabled or demoted. Each change leaves an audit record
 * without the password hash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { type AdminAccess, cliPrincipal, createAdminAccess, type Principal } from './admin-access.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundAdminError } from './errors.ts';
import { mayManageDomain, requireClusterAdmin, requireDomainAccess } from './principal.ts';

let t: TempStorage | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function setup(): Promise<AdminAccess> {
  t = await tempStorage();
  return createAdminAccess({ store: t.storage.admin, counters: t.storage.counters, clock: t.clock });
}

const op = cliPrincipal('operator');
const dora: Principal = { name: 'dora', role: 'domain', domains: ['example.com'], via: 'session' };

async function fieldOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof InvalidInputError)) throw new Error(`expected InvalidInputError, got ${String(err)}`);
  return err.field;
}

describe('roles', () => {
  it('lets cluster administrators manage any domain and domain administrators only theirs', () => {
    expect(mayManageDomain(op, 'any.example')).toBe(true);
    expect(mayManageDomain(dora, 'Example.COM.')).toBe(true);
    expect(mayManageDomain(dora, 'example.org')).toBe(false);
    expect(() => requireClusterAdmin(op)).not.toThrow();
    expect(() => requireClusterAdmin(dora)).toThrow(ForbiddenError);
    expect(() => requireDomainAccess(dora, 'example.com')).not.toThrow();
    expect(() => requireDomainAccess(dora, 'example.org')).toThrow(ForbiddenError);
  });
});

describe('managing administrators', () => {
  it('creates, lists, updates and removes administrators, auditing each change without secrets', async () => {
    const access = await setup();
    const created = await access.createAdmin(op, {
      name: 'Dora',
      password: 'dora-password',
      role: 'domain',
      domains: ['Example.COM', 'example.org', 'example.com'],
    });
    expect(created).toEqual({
      name: 'dora',
      role: 'domain',
      domains: ['example.com', 'example.org'],
      createdAt: t!.clock.now(),
      disabled: false,
    });
    await access.createAdmin(op, { name: 'root', password: 'root-password', role: 'cluster' });
    expect((await access.listAdmins(op)).map((a) => a.name)).toEqual(['dora', 'root']);
    const updated = await access.updateAdmin(op, 'dora', { domains: ['example.net'] });
    expect(updated.domains).toEqual(['example.net']);
    const promoted = await access.updateAdmin(op, 'dora', { role: 'cluster' });
    expect(promoted).toMatchObject({ role: 'cluster', domains: [] });
    await access.removeAdmin(op, 'dora');
    expect((await access.listAdmins(op)).map((a) => a.name)).toEqual(['root']);
    await expect(access.removeAdmin(op, 'dora')).rejects.toThrow(NotFoundAdminError);

    const { items } = await access.listAudit(op, { limit: 10 });
    expect(items.map((r) => r.action)).toEqual([
      'admin.remove',
      'admin.update',
      'admin.update',
      'admin.create',
      'admin.create',
    ]);
    expect(items[4]).toMatchObject({ actor: 'operator', via: 'cli', target: 'dora', after: created });
    expect(items[2]).toMatchObject({ before: created, after: { ...created, domains: ['example.net'] } });
    expect(JSON.stringify(items)).not.toContain('scrypt');
  });

  it('names the field of bad input and refuses a taken name', async () => {
    const access = await setup();
    const base = {
      name: 'dora',
      password: 'dora-password',
      role: 'domain' as const,
      domains: ['example.com'],
    };
    expect(await fieldOf(access.createAdmin(op, { ...base, name: 'has space' }))).toBe('name');
    expect(await fieldOf(access.createAdmin(op, { ...base, password: 'short' }))).toBe('password');
    expect(await fieldOf(access.createAdmin(op, { ...base, role: 'root' as never }))).toBe('role');
    expect(await fieldOf(access.createAdmin(op, { ...base, domains: [] }))).toBe('domains');
    expect(await fieldOf(access.createAdmin(op, { ...base, domains: ['not a domain'] }))).toBe('domains');
    expect(await fieldOf(access.createAdmin(op, { ...base, role: 'cluster' }))).toBe('domains');
    await access.createAdmin(op, base);
    await expect(access.createAdmin(op, { ...base, name: 'DORA' })).rejects.toThrow(ConflictError);
    expect(await fieldOf(access.updateAdmin(op, 'dora', { domains: [] }))).toBe('domains');
    expect(await fieldOf(access.updateAdmin(op, 'dora', { password: '' }))).toBe('password');
  });

  it('lets a domain administrator see itself and change its own password, nothing else', async () => {
    const access = await setup();
    await access.createAdmin(op, { name: 'root', password: 'root-password', role: 'cluster' });
    await access.createAdmin(op, {
      name: 'dora',
      password: 'dora-password',
      role: 'domain',
      domains: ['example.com'],
    });
    expect((await access.listAdmins(dora)).map((a) => a.name)).toEqual(['dora']);
    await access.updateAdmin(dora, 'dora', { password: 'dora-new-password' });
    expect((await access.login('dora', 'dora-new-password', '192.0.2.1')).ok).toBe(true);
    const forbidden = [
      access.createAdmin(dora, { name: 'eve', password: 'eve-password', role: 'cluster' }),
      access.updateAdmin(dora, 'dora', { role: 'cluster' }),
      access.updateAdmin(dora, 'dora', { domains: ['example.org'] }),
      access.updateAdmin(dora, 'root', { password: 'taken-over' }),
      access.updateAdmin(dora, 'nobody', { password: 'probing-names' }),
      access.removeAdmin(dora, 'root'),
    ];
    for (const p of forbidden) await expect(p).rejects.toThrow(ForbiddenError);
  });

  it('keeps the last enabled cluster administrator', async () => {
    const access = await setup();
    await access.createAdmin(op, { name: 'root', password: 'root-password', role: 'cluster' });
    await access.createAdmin(op, {
      name: 'dora',
      password: 'dora-password',
      role: 'domain',
      domains: ['example.com'],
    });
    await expect(access.removeAdmin(op, 'root')).rejects.toThrow(ConflictError);
    await expect(access.updateAdmin(op, 'root', { disabled: true })).rejects.toThrow(ConflictError);
    await expect(
      access.updateAdmin(op, 'root', { role: 'domain', domains: ['example.com'] }),
    ).rejects.toThrow(ConflictError);
    // A disabled cluster administrator does not count.
    await access.createAdmin(op, { name: 'spare', password: 'spare-password', role: 'cluster' });
    await access.updateAdmin(op, 'spare', { disabled: true });
    await expect(access.removeAdmin(op, 'root')).rejects.toThrow(ConflictError);
    await access.updateAdmin(op, 'spare', { disabled: false });
    await access.updateAdmin(op, 'root', { role: 'domain', domains: ['example.org'] });
    await expect(access.removeAdmin(op, 'spare')).rejects.toThrow(ConflictError);
    // The domain administrators remain removable.
    await access.removeAdmin(op, 'dora');
    expect((await access.listAdmins(op)).map((a) => [a.name, a.role])).toEqual([
      ['root', 'domain'],
      ['spare', 'cluster'],
    ]);
  });
});
