/**
 * AdminStore contract: administrators are added once (a taken name answers false), updated only
 * when they exist, listed by name and removed once; sessions are stored, touched, removed one by
 * one or per administrator; tokens are stored, listed (all, or one administrator's, oldest first),
 * touched and removed once; audit records come back whole, newest first, a page at a time with a
 * cursor, and filtered by domain. The factory returns an empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdminRecord, AdminStore, AuditRecord } from '../../core/ports/admin-store.ts';
import { newQueueId } from '../../core/util/ids.ts';

export interface AdminStoreFixture {
  readonly store: AdminStore;
  cleanup(): Promise<void>;
}

const T0 = Date.now();

const admin = (name: string, over: Partial<AdminRecord> = {}): AdminRecord => ({
  name,
  passwordHash: `$scrypt$hash-of-${name}`,
  role: 'cluster',
  domains: [],
  createdAt: T0,
  ...over,
});

export function adminStoreContract(name: string, make: () => Promise<AdminStoreFixture>): void {
  describe(`AdminStore contract: ${name}`, () => {
    let fx: AdminStoreFixture;
    let s: AdminStore;
    beforeEach(async () => {
      fx = await make();
      s = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('adds, finds, updates, lists and removes administrators', async () => {
      expect(await s.listAdmins()).toEqual([]);
      expect(await s.getAdmin('root')).toBeUndefined();
      expect(await s.addAdmin(admin('root'))).toBe(true);
      expect(await s.addAdmin(admin('root', { role: 'domain' }))).toBe(false);
      const dom = admin('dora', { role: 'domain', domains: ['example.com', 'example.org'], disabled: true });
      expect(await s.addAdmin(dom)).toBe(true);
      expect(await s.getAdmin('dora')).toEqual(dom);
      expect(await s.updateAdmin(admin('ghost'))).toBe(false);
      expect(await s.getAdmin('ghost')).toBeUndefined();
      const enabled = admin('dora', { role: 'domain', domains: ['example.com'], passwordHash: 'new' });
      expect(await s.updateAdmin(enabled)).toBe(true);
      expect(await s.listAdmins()).toEqual([enabled, admin('root')]);
      expect(await s.removeAdmin('dora')).toBe(true);
      expect(await s.removeAdmin('dora')).toBe(false);
      expect((await s.listAdmins()).map((a) => a.name)).toEqual(['root']);
    });

    it('stores, touches and removes sessions', async () => {
      const base = { csrfToken: 'csrf', createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 60_000 };
      await s.putSession({ ...base, idHash: 'h1', admin: 'root' });
      await s.putSession({ ...base, idHash: 'h2', admin: 'root', csrfToken: 'other' });
      await s.putSession({ ...base, idHash: 'h3', admin: 'dora' });
      expect(await s.getSession('h1')).toEqual({ ...base, idHash: 'h1', admin: 'root' });
      await s.touchSession('h1', T0 + 5000, T0 + 65_000);
      expect(await s.getSession('h1')).toEqual({
        ...base,
        idHash: 'h1',
        admin: 'root',
        lastSeenAt: T0 + 5000,
        expiresAt: T0 + 65_000,
      });
      await s.touchSession('nope', T0, T0);
      expect(await s.getSession('nope')).toBeUndefined();
      await s.removeSession('h1');
      expect(await s.getSession('h1')).toBeUndefined();
      await s.removeSessionsOf('root');
      expect(await s.getSession('h2')).toBeUndefined();
      expect((await s.getSession('h3'))?.admin).toBe('dora');
    });

    it('stores, lists, touches and removes API tokens', async () => {
      const t1 = { id: 'tok1', admin: 'root', label: 'backup script', secretHash: 'aa', createdAt: T0 };
      const t2 = { id: 'tok2', admin: 'dora', label: 'monitoring', secretHash: 'bb', createdAt: T0 + 1 };
      const t3 = { id: 'tok0', admin: 'root', label: 'deploy', secretHash: 'cc', createdAt: T0 + 2 };
      for (const t of [t1, t2, t3]) await s.putToken(t);
      expect(await s.getToken('tok1')).toEqual(t1);
      expect(await s.getToken('missing')).toBeUndefined();
      expect(await s.listTokens()).toEqual([t1, t2, t3]);
      expect(await s.listTokens('root')).toEqual([t1, t3]);
      await s.touchToken('tok1', T0 + 10);
      expect(await s.getToken('tok1')).toEqual({ ...t1, lastUsedAt: T0 + 10 });
      await s.touchToken('missing', T0);
      expect(await s.getToken('missing')).toBeUndefined();
      expect(await s.removeToken('tok1')).toBe(true);
      expect(await s.removeToken('tok1')).toBe(false);
      expect((await s.listTokens()).map((t) => t.id)).toEqual(['tok2', 'tok0']);
    });

    it('lists audit records newest first, by page and by domain', async () => {
      const records: AuditRecord[] = [];
      for (let i = 0; i < 5; i++) {
        const at = T0 + i * 1000;
        const record: AuditRecord = {
          id: newQueueId(at),
          at,
          actor: i % 2 ? 'dora' : 'root',
          via: i === 4 ? 'cli' : 'session',
          action: 'account.update',
          target: `user${i}@${i % 2 ? 'example.com' : 'example.org'}`,
          domain: i % 2 ? 'example.com' : 'example.org',
          before: { settings: { MaxAccountSize: '10M' }, n: i },
          after: { settings: { MaxAccountSize: '20M' }, list: [1, 'two', null], flag: true },
          clientAddress: '192.0.2.1',
        };
        records.push(record);
        await s.appendAudit(record);
      }
      const bare: AuditRecord = {
        id: newQueueId(T0 + 9000),
        at: T0 + 9000,
        actor: 'root',
        via: 'token',
        action: 'admin.create',
        target: 'eve',
      };
      await s.appendAudit(bare);
      const newestFirst = [bare, ...records.slice().reverse()];

      const first = await s.listAudit({ limit: 4 });
      expect(first.items).toEqual(newestFirst.slice(0, 4));
      expect(first.nextCursor).toBeDefined();
      const second = await s.listAudit({ limit: 4, cursor: first.nextCursor! });
      expect(second.items).toEqual(newestFirst.slice(4));
      expect(second.nextCursor).toBeUndefined();

      const all = await s.listAudit({ limit: 100 });
      expect(all).toEqual({ items: newestFirst });
      const com = await s.listAudit({ limit: 1, domain: 'example.com' });
      expect(com.items).toEqual([records[3]]);
      const comRest = await s.listAudit({ limit: 10, domain: 'example.com', cursor: com.nextCursor! });
      expect(comRest).toEqual({ items: [records[1]] });
      expect(await s.listAudit({ limit: 10, domain: 'example.net' })).toEqual({ items: [] });
      // A cursor is an id bound: one taken from another domain's page works too (merged listings).
      const orgOlder = await s.listAudit({ limit: 10, domain: 'example.org', cursor: records[3]!.id });
      expect(orgOlder).toEqual({ items: [records[2], records[0]] });
    });
  });
}
