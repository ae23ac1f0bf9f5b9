/**
 * Directory contract: domains, one name namespace per domain shared by accounts, aliases and
 * forwarders, the directory errors, and settings merging (a key patched to undefined is cleared
 * so it is inherited again; null is a value, "unlimited"). The factory returns an empty directory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlreadyExistsError, DomainNotEmptyError, NotFoundError } from '../../core/directory/errors.ts';
import type {
  AccountRecord,
  DirectoryAdmin,
  DkimKeyRecord,
  DomainRecord,
} from '../../core/ports/directory.ts';

export interface DirectoryFixture {
  readonly directory: DirectoryAdmin;
  cleanup(): Promise<void>;
}

const domain = (name: string, extra: Partial<DomainRecord> = {}): DomainRecord => ({
  name,
  mailToUnknown: { action: 'reject' },
  defaults: {},
  createdAt: 1_767_225_600_000,
  ...extra,
});

const account = (address: string, extra: Partial<AccountRecord> = {}): AccountRecord => {
  const at = address.lastIndexOf('@');
  return {
    address,
    name: address.slice(0, at),
    domain: address.slice(at + 1),
    settings: {},
    createdAt: 1_767_225_600_001,
    ...extra,
  };
};

const dkimKey = (selector: string, extra: Partial<DkimKeyRecord> = {}): DkimKeyRecord => ({
  domain: 'example.com',
  selector,
  algorithm: 'ed25519',
  privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${selector}\n-----END PRIVATE KEY-----\n`,
  createdAt: 1_767_225_600_100,
  state: 'active',
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}

export function directoryContract(name: string, make: () => Promise<DirectoryFixture>): void {
  describe(`Directory contract: ${name}`, () => {
    let fx: DirectoryFixture;
    let dir: DirectoryAdmin;
    beforeEach(async () => {
      fx = await make();
      dir = fx.directory;
      await dir.addDomain(domain('example.com', { defaults: { MaxAccountSize: 5_000_000 } }));
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('adds, reads, lists and refuses duplicate domains', async () => {
      await dir.addDomain(
        domain('example.net', { mailToUnknown: { action: 'reroute', to: 'catch@example.net' } }),
      );
      expect(await dir.getDomain('example.net')).toEqual(
        domain('example.net', { mailToUnknown: { action: 'reroute', to: 'catch@example.net' } }),
      );
      expect(await dir.getDomain('EXAMPLE.NET')).toBeDefined();
      expect(await dir.getDomain('example.org')).toBeUndefined();
      expect((await dir.listDomains()).map((d) => d.name)).toEqual(['example.com', 'example.net']);
      const err = await rejection(dir.addDomain(domain('example.com')));
      expect(err).toBeInstanceOf(AlreadyExistsError);
      expect((err as AlreadyExistsError).kind).toBe('domain');
    });

    it('stores accounts with their fields and finds them case-insensitively', async () => {
      const alice = account('alice@example.com', {
        realName: 'Alice Liddell',
        passwordHash: 'scrypt$abc',
        settings: { MaxAccountSize: null, MailOutFlow: [10, 60] },
      });
      await dir.addAccount(alice);
      expect(await dir.getAccount('alice@example.com')).toEqual(alice);
      expect(await dir.getAccount('Alice@EXAMPLE.com')).toEqual(alice);
      expect(await dir.lookupName('alice@example.com')).toEqual({ kind: 'account', account: alice });
      expect(await dir.getAccount('bob@example.com')).toBeUndefined();
      expect(await dir.lookupName('bob@example.com')).toBeUndefined();
      const err = await rejection(dir.addAccount(account('carol@nowhere.example')));
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as NotFoundError).kind).toBe('domain');
    });

    it('keeps accounts, aliases and forwarders in one namespace per domain', async () => {
      await dir.addDomain(domain('example.net'));
      await dir.addAccount(account('alice@example.com'));
      await dir.addAlias({ address: 'al@example.com', account: 'alice@example.com' });
      await dir.addForwarder({ address: 'fwd@example.com', target: 'someone@elsewhere.example' });
      // The same local part in another domain is another name.
      await dir.addAccount(account('alice@example.net'));

      for (const attempt of [
        dir.addAlias({ address: 'alice@example.com', account: 'alice@example.com' }),
        dir.addForwarder({ address: 'alice@example.com', target: 'x@y.example' }),
        dir.addAccount(account('al@example.com')),
        dir.addForwarder({ address: 'al@example.com', target: 'x@y.example' }),
        dir.addAccount(account('fwd@example.com')),
        dir.addAlias({ address: 'fwd@example.com', account: 'alice@example.com' }),
      ]) {
        expect(await rejection(attempt)).toBeInstanceOf(AlreadyExistsError);
      }

      expect(await dir.lookupName('al@example.com')).toEqual({
        kind: 'alias',
        alias: { address: 'al@example.com', account: 'alice@example.com' },
      });
      expect(await dir.lookupName('FWD@example.com')).toEqual({
        kind: 'forwarder',
        forwarder: { address: 'fwd@example.com', target: 'someone@elsewhere.example' },
      });
      expect((await dir.listAccounts('example.com')).map((a) => a.address)).toEqual(['alice@example.com']);
      expect(await dir.listAliases('example.com')).toEqual([
        { address: 'al@example.com', account: 'alice@example.com' },
      ]);
      expect(await dir.listForwarders('example.com')).toEqual([
        { address: 'fwd@example.com', target: 'someone@elsewhere.example' },
      ]);
      expect(await dir.listAliases('example.net')).toEqual([]);
    });

    it('lists the aliases of an account, in any domain, sorted', async () => {
      await dir.addDomain(domain('example.net'));
      await dir.addAccount(account('alice@example.com'));
      await dir.addAccount(account('bob@example.com'));
      await dir.addAlias({ address: 'zed@example.com', account: 'alice@example.com' });
      await dir.addAlias({ address: 'al@example.net', account: 'alice@example.com' });
      await dir.addAlias({ address: 'bo@example.com', account: 'bob@example.com' });
      expect(await dir.aliasesOf('Alice@example.com')).toEqual(['al@example.net', 'zed@example.com']);
      expect(await dir.aliasesOf('bob@example.com')).toEqual(['bo@example.com']);
      expect(await dir.aliasesOf('nobody@example.com')).toEqual([]);
      await dir.removeAlias('zed@example.com');
      expect(await dir.aliasesOf('alice@example.com')).toEqual(['al@example.net']);
    });

    it('refuses an alias for a missing account and drops aliases with their account', async () => {
      expect(
        await rejection(dir.addAlias({ address: 'x@example.com', account: 'ghost@example.com' })),
      ).toBeInstanceOf(NotFoundError);
      await dir.addAccount(account('alice@example.com'));
      await dir.addAlias({ address: 'al@example.com', account: 'alice@example.com' });
      await dir.removeAccount('alice@example.com');
      expect(await dir.lookupName('alice@example.com')).toBeUndefined();
      expect(await dir.lookupName('al@example.com')).toBeUndefined();
    });

    it('raises NotFoundError when removing what is not there (or is another kind)', async () => {
      await dir.addAccount(account('alice@example.com'));
      await dir.addForwarder({ address: 'fwd@example.com', target: 't@x.example' });
      const cases: [Promise<void>, string][] = [
        [dir.removeAccount('nobody@example.com'), 'account'],
        [dir.removeAlias('alice@example.com'), 'alias'],
        [dir.removeForwarder('alice@example.com'), 'forwarder'],
        [dir.removeAccount('fwd@example.com'), 'account'],
        [dir.removeDomain('nowhere.example'), 'domain'],
        [dir.setPasswordHash('nobody@example.com', 'h'), 'account'],
        [dir.updateAccountSettings('nobody@example.com', { Enabled: false }), 'account'],
        [dir.updateDomain('nowhere.example', { defaults: {} }), 'domain'],
      ];
      for (const [attempt, kind] of cases) {
        const err = await rejection(attempt);
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as NotFoundError).kind).toBe(kind);
      }
      expect(await dir.getAccount('alice@example.com')).toBeDefined();
      expect(await dir.lookupName('fwd@example.com')).toBeDefined();
      await dir.removeForwarder('fwd@example.com');
      expect(await dir.lookupName('fwd@example.com')).toBeUndefined();
    });

    it('removes a non-empty domain only with force, and then every name in it', async () => {
      await dir.addAccount(account('alice@example.com'));
      await dir.addAlias({ address: 'al@example.com', account: 'alice@example.com' });
      await dir.addForwarder({ address: 'fwd@example.com', target: 't@x.example' });
      const err = await rejection(dir.removeDomain('example.com'));
      expect(err).toBeInstanceOf(DomainNotEmptyError);
      expect((err as DomainNotEmptyError).names).toBe(3);
      expect(await dir.getDomain('example.com')).toBeDefined();

      await dir.removeDomain('example.com', { force: true });
      expect(await dir.getDomain('example.com')).toBeUndefined();
      for (const address of ['alice@example.com', 'al@example.com', 'fwd@example.com']) {
        expect(await dir.lookupName(address)).toBeUndefined();
      }
      // The names are really gone: the domain can come back empty and reuse them.
      await dir.addDomain(domain('example.com'));
      expect(await dir.listAccounts('example.com')).toEqual([]);
      await dir.addAccount(account('alice@example.com'));
      await dir.removeDomain('example.com', { force: true });
      await dir.addDomain(domain('empty.example'));
      await dir.removeDomain('empty.example');
      expect(await dir.listDomains()).toEqual([]);
    });

    it('merges account settings and clears keys patched to undefined', async () => {
      await dir.addAccount(account('alice@example.com', { settings: { MaxMessageSize: 1000 } }));
      await dir.updateAccountSettings('alice@example.com', {
        MaxAccountSize: 10_000_000,
        MailInpFlow: [5, 60],
      });
      await dir.updateAccountSettings('ALICE@example.com', { Enabled: false, MaxMailOutSize: null });
      expect((await dir.getAccount('alice@example.com'))?.settings).toEqual({
        MaxMessageSize: 1000,
        MaxAccountSize: 10_000_000,
        MailInpFlow: [5, 60],
        Enabled: false,
        MaxMailOutSize: null,
      });
      await dir.updateAccountSettings('alice@example.com', {
        MaxAccountSize: undefined,
        MaxMessageSize: undefined,
      });
      const settings = (await dir.getAccount('alice@example.com'))?.settings;
      expect(settings).toEqual({ MailInpFlow: [5, 60], Enabled: false, MaxMailOutSize: null });
      expect(Object.keys(settings ?? {})).not.toContain('MaxAccountSize');
    });

    it('sets password hashes without touching settings', async () => {
      await dir.addAccount(account('alice@example.com', { settings: { Enabled: true } }));
      await dir.setPasswordHash('alice@example.com', 'scrypt$new');
      const got = await dir.getAccount('alice@example.com');
      expect(got?.passwordHash).toBe('scrypt$new');
      expect(got?.settings).toEqual({ Enabled: true });
    });

    it('updates domain handling and merges domain defaults', async () => {
      await dir.updateDomain('example.com', { mailToUnknown: { action: 'discard' } });
      expect(await dir.getDomain('example.com')).toMatchObject({
        mailToUnknown: { action: 'discard' },
        defaults: { MaxAccountSize: 5_000_000 },
      });
      await dir.updateDomain('example.com', { defaults: { MailOutFlow: [100, 3600] } });
      expect((await dir.getDomain('example.com'))?.defaults).toEqual({
        MaxAccountSize: 5_000_000,
        MailOutFlow: [100, 3600],
      });
      await dir.updateDomain('example.com', { defaults: { MaxAccountSize: undefined } });
      const d = await dir.getDomain('example.com');
      expect(d?.mailToUnknown).toEqual({ action: 'discard' });
      expect(d?.defaults).toEqual({ MailOutFlow: [100, 3600] });
    });

    it("stores a domain's postmaster target, keeps it across other updates and clears it with null", async () => {
      expect((await dir.getDomain('example.com'))?.postmaster).toBeUndefined();
      await dir.updateDomain('example.com', { postmaster: 'admin@example.com' });
      expect((await dir.getDomain('example.com'))?.postmaster).toBe('admin@example.com');
      await dir.updateDomain('example.com', { mailToUnknown: { action: 'discard' } });
      expect((await dir.getDomain('example.com'))?.postmaster).toBe('admin@example.com');
      await dir.updateDomain('example.com', { postmaster: null });
      expect((await dir.getDomain('example.com'))?.postmaster).toBeUndefined();
      await dir.addDomain({
        name: 'pm.example',
        mailToUnknown: { action: 'reject' },
        defaults: {},
        postmaster: 'someone@example.com',
        createdAt: 1,
      });
      expect((await dir.getDomain('pm.example'))?.postmaster).toBe('someone@example.com');
    });

    it('keeps cluster settings, merged and cleared the same way', async () => {
      expect(await dir.getClusterSettings()).toEqual({});
      await dir.updateClusterSettings({ MaxMessageSize: 50_000_000, MailOutFlow: null });
      await dir.updateClusterSettings({ Enabled: true });
      expect(await dir.getClusterSettings()).toEqual({
        MaxMessageSize: 50_000_000,
        MailOutFlow: null,
        Enabled: true,
      });
      await dir.updateClusterSettings({ MailOutFlow: undefined });
      expect(await dir.getClusterSettings()).toEqual({ MaxMessageSize: 50_000_000, Enabled: true });
    });

    it('stores DKIM keys per domain, retires the others on rotation and removes one', async () => {
      expect(await dir.dkimKeys('example.com')).toEqual([]);
      expect(await dir.dkimKeys('nowhere.example')).toEqual([]);
      const first = dkimKey('s1', { algorithm: 'rsa' });
      await dir.addDkimKey(first);
      expect(await dir.dkimKeys('EXAMPLE.com')).toEqual([first]);
      const second = dkimKey('s2', { createdAt: first.createdAt + 1 });
      await dir.addDkimKey(second, { retireOthers: true });
      expect(await dir.dkimKeys('example.com')).toEqual([{ ...first, state: 'retired' }, second]);
      await dir.removeDkimKey('example.com', 's1');
      expect(await dir.dkimKeys('example.com')).toEqual([second]);
    });

    it('refuses a DKIM key for an unknown domain or a taken selector, changing nothing', async () => {
      await dir.addDkimKey(dkimKey('s1'));
      const unknown = await rejection(dir.addDkimKey(dkimKey('s1', { domain: 'nowhere.example' })));
      expect(unknown).toBeInstanceOf(NotFoundError);
      expect((unknown as NotFoundError).kind).toBe('domain');
      const taken = await rejection(
        dir.addDkimKey(dkimKey('s1', { algorithm: 'rsa' }), { retireOthers: true }),
      );
      expect(taken).toBeInstanceOf(AlreadyExistsError);
      expect((taken as AlreadyExistsError).kind).toBe('DKIM key');
      expect(await dir.dkimKeys('example.com')).toEqual([dkimKey('s1')]);
      const missing = await rejection(dir.removeDkimKey('example.com', 'nope'));
      expect(missing).toBeInstanceOf(NotFoundError);
    });

    it('pages the accounts of a domain in address order, skipping aliases and forwarders', async () => {
      await dir.addDomain(domain('example.net'));
      for (const n of ['dave', 'alice', 'carol', 'bob', 'erin'])
        await dir.addAccount(account(`${n}@example.com`));
      await dir.addAccount(account('zed@example.net'));
      await dir.addAlias({ address: 'billing@example.com', account: 'bob@example.com' });
      await dir.addForwarder({ address: 'cat@example.com', target: 'x@example.org' });
      const first = await dir.listAccountsPage('example.com', { limit: 2 });
      expect(first.items.map((a) => a.address)).toEqual(['alice@example.com', 'bob@example.com']);
      expect(first.items[0]).toEqual(account('alice@example.com'));
      expect(first.nextAfter).toBe('bob@example.com');
      const second = await dir.listAccountsPage('example.com', { limit: 2, after: first.nextAfter! });
      expect(second.items.map((a) => a.address)).toEqual(['carol@example.com', 'dave@example.com']);
      const last = await dir.listAccountsPage('example.com', { limit: 2, after: second.nextAfter! });
      expect(last.items.map((a) => a.address)).toEqual(['erin@example.com']);
      expect(last.nextAfter).toBeUndefined();
      const exact = await dir.listAccountsPage('example.com', { limit: 5 });
      expect(exact.items).toHaveLength(5);
      expect(exact.nextAfter).toBeUndefined();
      expect((await dir.listAccountsPage('nowhere.example', { limit: 5 })).items).toEqual([]);
    });

    it('pages only the accounts whose address starts with a prefix, case-insensitively', async () => {
      for (const n of ['bea', 'ben', 'bob', 'bella', 'abe'])
        await dir.addAccount(account(`${n}@example.com`));
      await dir.addAlias({ address: 'bert@example.com', account: 'bob@example.com' });
      const page = await dir.listAccountsPage('example.com', { limit: 2, prefix: 'BE' });
      expect(page.items.map((a) => a.address)).toEqual(['bea@example.com', 'bella@example.com']);
      const rest = await dir.listAccountsPage('example.com', {
        limit: 2,
        prefix: 'be',
        after: page.nextAfter!,
      });
      expect(rest.items.map((a) => a.address)).toEqual(['ben@example.com']);
      expect(rest.nextAfter).toBeUndefined();
      const none = await dir.listAccountsPage('example.com', { limit: 2, prefix: 'x' });
      expect(none).toEqual({ items: [] });
    });

    it('removes the DKIM keys with their domain', async () => {
      await dir.addDkimKey(dkimKey('s1'));
      await dir.removeDomain('example.com');
      await dir.addDomain(domain('example.com'));
      expect(await dir.dkimKeys('example.com')).toEqual([]);
    });
  });
}
