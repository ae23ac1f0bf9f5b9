/**
 * Managing administrators: only cluster administrators list (all), create, change and remove
 * them; anyone may change their own password. The last enabled cluster administrator cannot be
 * removed, disabled or made a domain administrator (ConflictError), so the cluster never locks
 * itself out (two concurrent changes could still race: `strato admin` recovers). Disabling,
 * removing or a password set by someone else ends the administrator's sessions; removing also
 * revokes its API tokens. Every change writes an audit record (no password hash in it).
 * Failure: InvalidInputError, ForbiddenError, NotFoundAdminError, ConflictError; store faults propagate.
 */

import { hashPassword } from '../auth/password.ts';
import type { AdminRecord, AdminStore } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import { recordChange } from './audit.ts';
import { ConflictError, NotFoundAdminError } from './errors.ts';
import { checkAdminName, checkDomains, checkPassword, checkRole, normaliseAdminName } from './input.ts';
import { type AdminRole, type Principal, requireClusterAdmin } from './principal.ts';
import { newPassword } from './secrets.ts';

/** An administrator as the admin API shows it: never the password hash. */
export interface AdminView {
  readonly name: string;
  readonly role: AdminRole;
  readonly domains: readonly string[];
  readonly createdAt: number;
  readonly disabled: boolean;
}

export interface AdminPatch {
  readonly password?: string;
  readonly role?: AdminRole;
  readonly domains?: string[];
  readonly disabled?: boolean;
}

export const adminView = (a: AdminRecord): AdminView => ({
  name: a.name,
  role: a.role,
  domains: [...a.domains],
  createdAt: a.createdAt,
  disabled: a.disabled === true,
});

const isActiveClusterAdmin = (a: AdminRecord) => a.role === 'cluster' && !a.disabled;

export function createAdmins(deps: { store: AdminStore; clock: Clock; firstAdminName: string }) {
  const { store, clock } = deps;
  const audit = (actor: Principal, action: string, target: string, before?: AdminView, after?: unknown) =>
    recordChange(store, clock, {
      actor,
      action,
      target,
      ...(before && { before }),
      ...(after !== undefined && { after }),
    });

  async function find(name: string): Promise<AdminRecord> {
    const admin = await store.getAdmin(normaliseAdminName(name));
    if (!admin) throw new NotFoundAdminError('administrator', name);
    return admin;
  }

  /** Throws when `admin` is the only enabled cluster administrator and the change would end that. */
  async function keepOneClusterAdmin(admin: AdminRecord, what: string): Promise<void> {
    if (!isActiveClusterAdmin(admin)) return;
    const others = (await store.listAdmins()).filter((a) => a.name !== admin.name && isActiveClusterAdmin(a));
    if (others.length === 0) {
      throw new ConflictError(
        `${admin.name} is the last enabled cluster administrator and cannot be ${what}`,
      );
    }
  }

  async function listAdmins(by: Principal): Promise<AdminView[]> {
    if (by.role !== 'cluster') {
      const self = await store.getAdmin(by.name);
      return self ? [adminView(self)] : [];
    }
    return (await store.listAdmins()).map(adminView);
  }

  async function createAdmin(
    by: Principal,
    input: { name: string; password: string; role: AdminRole; domains?: string[] },
  ): Promise<AdminView> {
    requireClusterAdmin(by);
    const name = checkAdminName(input.name);
    const password = checkPassword(input.password);
    const role = checkRole(input.role);
    const domains = checkDomains(role, input.domains);
    const record: AdminRecord = {
      name,
      passwordHash: await hashPassword(password),
      role,
      domains,
      createdAt: clock.now(),
    };
    if (!(await store.addAdmin(record))) throw new ConflictError(`administrator ${name} exists already`);
    const view = adminView(record);
    await audit(by, 'admin.create', name, undefined, view);
    return view;
  }

  async function updateAdmin(by: Principal, name: string, patch: AdminPatch): Promise<AdminView> {
    const onlyOwnPassword =
      normaliseAdminName(name) === by.name &&
      patch.role === undefined &&
      patch.domains === undefined &&
      patch.disabled === undefined;
    if (!onlyOwnPassword) requireClusterAdmin(by);
    const current = await find(name);
    const role = patch.role === undefined ? current.role : checkRole(patch.role);
    const domains =
      patch.domains !== undefined || role !== current.role
        ? checkDomains(role, patch.domains ?? (role === 'cluster' ? [] : current.domains))
        : [...current.domains];
    const disabled = patch.disabled ?? current.disabled === true;
    const next: AdminRecord = {
      name: current.name,
      passwordHash:
        patch.password === undefined
          ? current.passwordHash
          : await hashPassword(checkPassword(patch.password)),
      role,
      domains,
      createdAt: current.createdAt,
      ...(disabled ? { disabled: true } : {}),
    };
    if (!isActiveClusterAdmin(next)) await keepOneClusterAdmin(current, disabled ? 'disabled' : 'demoted');
    if (!(await store.updateAdmin(next))) throw new NotFoundAdminError('administrator', name);
    if (disabled || (patch.password !== undefined && by.name !== current.name))
      await store.removeSessionsOf(current.name);
    const view = adminView(next);
    await audit(by, 'admin.update', current.name, adminView(current), {
      ...view,
      ...(patch.password !== undefined ? { password: 'changed' } : {}),
    });
    return view;
  }

  async function removeAdmin(by: Principal, name: string): Promise<void> {
    requireClusterAdmin(by);
    const current = await find(name);
    await keepOneClusterAdmin(current, 'removed');
    if (!(await store.removeAdmin(current.name))) throw new NotFoundAdminError('administrator', name);
    await store.removeSessionsOf(current.name);
    for (const t of await store.listTokens(current.name)) await store.removeToken(t.id);
    await audit(by, 'admin.remove', current.name, adminView(current));
  }

  /** On first start: a cluster administrator with a random password when there is none at all. */
  async function ensureFirstAdmin(): Promise<{ name: string; password: string } | undefined> {
    if ((await store.listAdmins()).length > 0) return undefined;
    const name = deps.firstAdminName;
    const password = newPassword();
    const record: AdminRecord = {
      name,
      passwordHash: await hashPassword(password),
      role: 'cluster',
      domains: [],
      createdAt: clock.now(),
    };
    // Another process starting at the same moment may have made it: then it printed the password.
    if (!(await store.addAdmin(record))) return undefined;
    await audit(
      { name: 'strato', role: 'cluster', domains: [], via: 'cli' },
      'admin.create',
      name,
      undefined,
      adminView(record),
    );
    return { name, password };
  }

  return { listAdmins, createAdmin, updateAdmin, removeAdmin, ensureFirstAdmin };
}
