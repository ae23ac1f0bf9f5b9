/** Account use cases on real embedded storage: success, paging, bad fields, unknown and taken names. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { verifyPassword } from '../auth/password.ts';
import { AlreadyExistsError } from '../directory/errors.ts';
import {
  addAccount,
  getAccount,
  listAccounts,
  removeAccount,
  setAccountPassword,
  updateAccountSettings,
} from './accounts.ts';
import { addAlias } from './aliases.ts';
import { addDomain, updateDomain } from './domains.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { getRuleSet, setRuleSet } from './rules.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await addDomain(t.storage, { name: 'example.com' });
});
afterEach(() => t.cleanup());

const fieldOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof InvalidInputError ? err.field : err),
  );

describe('account use cases', () => {
  it('adds an account with a hashed password and shows it without the hash', async () => {
    const s = t.storage;
    const view = await addAccount(
      { ...s, clock: t.clock },
      {
        address: 'Alice@Example.com',
        password: 's3cret',
        realName: 'Alice Liddell',
      },
    );
    expect(view).toEqual({
      address: 'alice@example.com',
      domain: 'example.com',
      name: 'alice',
      realName: 'Alice Liddell',
      settings: {},
      createdAt: t.clock.now(),
      hasPassword: true,
    });
    expect(JSON.stringify(await getAccount(s, { address: 'alice@example.com' }))).not.toContain('scrypt');
    const stored = await s.directory.getAccount('alice@example.com');
    expect(await verifyPassword('s3cret', stored?.passwordHash)).toBe(true);
    expect((await addAccount(s, { address: 'bob@example.com' })).hasPassword).toBe(false);
  });

  it('shows stored and effective settings with the level of each, and its aliases', async () => {
    const s = t.storage;
    await addAccount(s, { address: 'alice@example.com' });
    await s.directory.updateClusterSettings({ MaxMessageSize: 1000 });
    await updateDomain(s, { name: 'example.com', defaults: { MaxAccountSize: '1M' } });
    const after = await updateAccountSettings(s, {
      address: 'alice@example.com',
      settings: { mailoutflow: '10/1h', Enabled: false },
    });
    expect(after.settings).toEqual({ MailOutFlow: [10, 3600], Enabled: false });
    await addAlias(s, { address: 'info@example.com', account: 'alice@example.com' });
    const detail = await getAccount(s, { address: 'alice@example.com' });
    expect(detail.aliases).toEqual(['info@example.com']);
    expect(detail.effective.sources).toMatchObject({
      MailOutFlow: 'account',
      MaxAccountSize: 'domain',
      MaxMessageSize: 'cluster',
      HomeBackend: 'built-in',
    });
    expect(detail.effective.settings.MaxAccountSize).toBe(1024 * 1024);
    const cleared = await updateAccountSettings(s, {
      address: 'alice@example.com',
      settings: { Enabled: 'default' },
    });
    expect(cleared.settings).toEqual({ MailOutFlow: [10, 3600] });
  });

  it('refuses bad fields, naming them, and changes nothing', async () => {
    const s = t.storage;
    expect(await fieldOf(addAccount(s, { address: 'no-at-sign' }))).toBe('address');
    expect(await fieldOf(addAccount(s, { address: 'a@example.com', password: '' }))).toBe('password');
    expect(await fieldOf(addAccount(s, { address: 'a@example.com', password: 'a\nb' }))).toBe('password');
    expect(await fieldOf(addAccount(s, { address: 'a@example.com', realName: 'x\u0000' }))).toBe('realName');
    await addAccount(s, { address: 'alice@example.com' });
    const set = (settings: Record<string, string>) =>
      updateAccountSettings(s, { address: 'alice@example.com', settings });
    expect(await fieldOf(set({ MaxMessageSize: 'lots' }))).toBe('settings.MaxMessageSize');
    expect(await fieldOf(set({ Colour: 'blue' }))).toBe('settings.Colour');
    expect(await fieldOf(set({ HomeBackend: 'backend-9' }))).toBe('settings.HomeBackend');
    expect(await fieldOf(setAccountPassword(s, { address: 'alice@example.com', password: '' }))).toBe(
      'password',
    );
    expect((await getAccount(s, { address: 'alice@example.com' })).settings).toEqual({});
    await updateAccountSettings(s, {
      address: 'alice@example.com',
      settings: { HomeBackend: 'backend-9' },
      force: true,
    });
    expect((await getAccount(s, { address: 'alice@example.com' })).settings).toEqual({
      HomeBackend: 'backend-9',
    });
  });

  it('refuses unknown domains and accounts, and names already taken', async () => {
    const s = t.storage;
    const missing = await addAccount(s, { address: 'a@nowhere.example' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundAdminError);
    expect((missing as NotFoundAdminError).message).toBe('domain nowhere.example does not exist');
    await expect(getAccount(s, { address: 'ghost@example.com' })).rejects.toThrow(
      'account ghost@example.com does not exist',
    );
    await expect(setAccountPassword(s, { address: 'ghost@example.com', password: 'x' })).rejects.toThrow(
      NotFoundAdminError,
    );
    await expect(updateAccountSettings(s, { address: 'ghost@example.com', settings: {} })).rejects.toThrow(
      NotFoundAdminError,
    );
    await expect(removeAccount(s, { address: 'ghost@example.com' })).rejects.toThrow(NotFoundAdminError);
    await expect(listAccounts(s, { domain: 'nowhere.example' })).rejects.toThrow(NotFoundAdminError);
    await addAccount(s, { address: 'alice@example.com' });
    await expect(addAccount(s, { address: 'ALICE@example.com' })).rejects.toThrow(AlreadyExistsError);
  });

  it('sets a password', async () => {
    const s = t.storage;
    await addAccount(s, { address: 'alice@example.com' });
    expect(await setAccountPassword(s, { address: 'alice@example.com', password: 'n3w' })).toEqual({
      address: 'alice@example.com',
      hasPassword: true,
    });
    expect(
      await verifyPassword('n3w', (await s.directory.getAccount('alice@example.com'))?.passwordHash),
    ).toBe(true);
  });

  it('removes an account with its aliases and rule set', async () => {
    const s = t.storage;
    await addAccount(s, { address: 'alice@example.com' });
    await addAlias(s, { address: 'info@example.com', account: 'alice@example.com' });
    await setRuleSet(s, {
      scope: 'account',
      name: 'alice@example.com',
      rules: [{ name: 'r', priority: 5, conditions: [], actions: [{ action: 'tag subject', tag: '[x]' }] }],
    });
    expect(await removeAccount(s, { address: 'alice@example.com' })).toEqual({
      address: 'alice@example.com',
      removed: true,
      removedAliases: ['info@example.com'],
    });
    expect(await s.directory.lookupName('info@example.com')).toBeUndefined();
    await addAccount(s, { address: 'alice@example.com' });
    expect((await getRuleSet(s, { scope: 'account', name: 'alice@example.com' })).rules).toEqual([]);
  });
});

describe('listAccounts', () => {
  it('pages through a domain in address order with an opaque cursor, filtered by address prefix', async () => {
    const s = t.storage;
    const names = ['carol', 'al', 'bob', 'alice', 'alan', 'dave', 'albert'];
    for (const n of names) await addAccount(s, { address: `${n}@example.com` });
    await addAlias(s, { address: 'alfa@example.com', account: 'bob@example.com' });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listAccounts(s, { domain: 'example.com', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((a) => a.address));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].sort().map((n) => `${n}@example.com`));

    const al = await listAccounts(s, { domain: 'example.com', search: 'AL', limit: 2 });
    expect(al.items.map((a) => a.name)).toEqual(['al', 'alan']);
    const rest = await listAccounts(s, {
      domain: 'example.com',
      search: 'al',
      limit: 2,
      cursor: al.nextCursor!,
    });
    expect(rest.items.map((a) => a.name)).toEqual(['albert', 'alice']);
    expect(rest.nextCursor).toBeUndefined();
    expect(rest.items.every((a) => !('passwordHash' in a))).toBe(true);
  });

  it('refuses a bad limit, search or cursor, naming the field', async () => {
    const s = t.storage;
    await addAccount(s, { address: 'al@example.com' });
    await addAccount(s, { address: 'bo@example.com' });
    const first = await listAccounts(s, { domain: 'example.com', limit: 1 });
    expect(first.nextCursor).toBeDefined();
    expect(await fieldOf(listAccounts(s, { domain: 'example.com', limit: 0 }))).toBe('limit');
    expect(await fieldOf(listAccounts(s, { domain: 'example.com', limit: 1001 }))).toBe('limit');
    expect(await fieldOf(listAccounts(s, { domain: 'example.com', limit: 1.5 }))).toBe('limit');
    expect(await fieldOf(listAccounts(s, { domain: 'example.com', search: 'a b' }))).toBe('search');
    expect(await fieldOf(listAccounts(s, { domain: 'example.com', cursor: 'garbage' }))).toBe('cursor');
    expect(
      await fieldOf(listAccounts(s, { domain: 'example.com', search: 'b', cursor: first.nextCursor! })),
    ).toBe('cursor');
    expect(await fieldOf(listAccounts(s, { domain: 'bad domain' }))).toBe('domain');
  });
});
