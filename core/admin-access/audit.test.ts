/**
 * The audit trail on real embedded storage: changes recorded with who, what, when, before/after
 * and client address; listed newest first a page at a time; a domain administrator sees only the
 * records of its domains (merged across several), may filter to one of them and not to another's;
 * oversized before/after values are stored as a note of their size.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { type AdminAccess, cliPrincipal, createAdminAccess, type Principal } from './admin-access.ts';
import { ForbiddenError, InvalidInputError } from './errors.ts';

let t: TempStorage | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

const root: Principal = { name: 'root', role: 'cluster', domains: [], via: 'session' };
const dora: Principal = { name: 'dora', role: 'domain', domains: ['a.example', 'b.example'], via: 'token' };

async function seeded(): Promise<AdminAccess> {
  t = await tempStorage();
  const access = createAdminAccess({ store: t.storage.admin, counters: t.storage.counters, clock: t.clock });
  const domains = ['a.example', 'b.example', 'c.example'];
  for (let i = 0; i < 9; i++) {
    t.clock.advance(1000);
    const domain = domains[i % 3]!;
    await access.recordChange({
      actor: i % 3 === 2 ? root : dora,
      action: 'account.update',
      target: `user${i}@${domain}`,
      domain,
      before: { n: i - 1 },
      after: { n: i },
      clientAddress: '192.0.2.4',
    });
  }
  return access;
}

describe('audit trail', () => {
  it('records changes and lists them newest first, a page at a time', async () => {
    const access = await seeded();
    const first = await access.listAudit(root, { limit: 4 });
    expect(first.items.map((r) => r.target)).toEqual([
      'user8@c.example',
      'user7@b.example',
      'user6@a.example',
      'user5@c.example',
    ]);
    expect(first.items[0]).toMatchObject({
      at: t!.clock.now(),
      actor: 'root',
      via: 'session',
      action: 'account.update',
      domain: 'c.example',
      before: { n: 7 },
      after: { n: 8 },
      clientAddress: '192.0.2.4',
    });
    const second = await access.listAudit(root, { limit: 4, cursor: first.nextCursor! });
    const third = await access.listAudit(root, { limit: 4, cursor: second.nextCursor! });
    expect([...second.items, ...third.items].map((r) => r.target.slice(0, 5))).toEqual([
      'user4',
      'user3',
      'user2',
      'user1',
      'user0',
    ]);
    expect(third.nextCursor).toBeUndefined();
    await expect(access.listAudit(root, { limit: 0 })).rejects.toThrow(InvalidInputError);
  });

  it("shows a domain administrator only its domains' records", async () => {
    const access = await seeded();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await access.listAudit(dora, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r) => r.target));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([
      'user7@b.example',
      'user6@a.example',
      'user4@b.example',
      'user3@a.example',
      'user1@b.example',
      'user0@a.example',
    ]);
    const onlyB = await access.listAudit(dora, { limit: 10, domain: 'B.example' });
    expect(onlyB.items.map((r) => r.target)).toEqual([
      'user7@b.example',
      'user4@b.example',
      'user1@b.example',
    ]);
    await expect(access.listAudit(dora, { limit: 10, domain: 'c.example' })).rejects.toThrow(ForbiddenError);
    expect((await access.listAudit(root, { limit: 10, domain: 'c.example' })).items).toHaveLength(3);
    // Administrator changes concern no domain: a domain administrator does not see them.
    await access.createAdmin(cliPrincipal('op'), { name: 'eve', password: 'eve-password', role: 'cluster' });
    expect((await access.listAudit(dora, { limit: 1 })).items[0]?.target).toBe('user7@b.example');
  });

  it('stores an oversized before/after as a note of its size', async () => {
    const access = await seeded();
    await access.recordChange({
      actor: root,
      action: 'rules.set',
      target: 'cluster',
      after: { blob: 'x'.repeat(200_000) },
    });
    const [latest] = (await access.listAudit(root, { limit: 1 })).items;
    expect(latest?.after).toEqual({ truncated: true, jsonBytes: 200_011 });
  });
});
