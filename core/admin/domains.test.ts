/** Domain use cases on real embedded storage: success, bad fields, unknown and conflicting domains. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { AlreadyExistsError, DomainNotEmptyError } from '../directory/errors.ts';
import { addAccount } from './accounts.ts';
import { addDomain, getDomain, listDomains, removeDomain, updateDomain } from './domains.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { setRuleSet } from './rules.ts';

const TAG_RULE = {
  name: 'tag',
  priority: 5,
  conditions: [{ field: 'Return-Path', op: 'not in', value: ['*@example.com'] }],
  actions: [{ action: 'tag subject', tag: '[EXT]' }],
};

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(() => t.cleanup());

const fieldOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof InvalidInputError ? err.field : err),
  );

describe('domain use cases', () => {
  it('adds, lists and gets a domain with counts and inherited settings', async () => {
    const s = t.storage;
    const added = await addDomain(
      { ...s, clock: t.clock },
      { name: 'Example.COM', postmaster: 'Boss@example.com' },
    );
    expect(added).toEqual({
      name: 'example.com',
      mailToUnknown: { action: 'reject' },
      defaults: {},
      postmaster: 'boss@example.com',
      createdAt: t.clock.now(),
    });
    await addDomain(s, { name: 'a.example', mailToUnknown: 'reroute:Catch@a.example' });
    expect((await listDomains(s)).map((d) => [d.name, d.mailToUnknown])).toEqual([
      ['a.example', { action: 'reroute', to: 'catch@a.example' }],
      ['example.com', { action: 'reject' }],
    ]);
    await addAccount(s, { address: 'alice@example.com' });
    await s.directory.updateClusterSettings({ MaxMessageSize: 1000 });
    const detail = await getDomain(s, { name: 'example.com' });
    expect([detail.accounts, detail.aliases, detail.forwarders]).toEqual([1, 0, 0]);
    expect(detail.effective.settings.MaxMessageSize).toBe(1000);
    expect(detail.effective.sources.MaxMessageSize).toBe('cluster');
    expect(JSON.parse(JSON.stringify(detail))).toEqual(detail);
  });

  it('refuses bad fields, naming them', async () => {
    const s = t.storage;
    expect(await fieldOf(addDomain(s, { name: 'not a domain' }))).toBe('name');
    expect(await fieldOf(addDomain(s, { name: 'x.example', mailToUnknown: 'bounce-it' }))).toBe(
      'mailToUnknown',
    );
    expect(
      await fieldOf(addDomain(s, { name: 'x.example', mailToUnknown: { action: 'reroute', to: 'nope' } })),
    ).toBe('mailToUnknown.to');
    expect(await fieldOf(addDomain(s, { name: 'x.example', postmaster: '@@' }))).toBe('postmaster');
    await addDomain(s, { name: 'x.example' });
    expect(await fieldOf(updateDomain(s, { name: 'x.example', defaults: { MaxMessageSize: 'huge' } }))).toBe(
      'defaults.MaxMessageSize',
    );
    expect(await fieldOf(updateDomain(s, { name: 'x.example', defaults: { NoSuchThing: '1' } }))).toBe(
      'defaults.NoSuchThing',
    );
    expect(
      await fieldOf(updateDomain(s, { name: 'x.example', defaults: { HomeBackend: 'backend-9' } })),
    ).toBe('defaults.HomeBackend');
    expect((await getDomain(s, { name: 'x.example' })).defaults).toEqual({});
  });

  it('updates policy, postmaster and defaults; "default" clears a default', async () => {
    const s = t.storage;
    await addDomain(s, { name: 'example.com' });
    let d = await updateDomain(s, {
      name: 'example.com',
      mailToUnknown: { action: 'discard' },
      postmaster: 'pm@example.org',
      defaults: { MaxMessageSize: '10M', HomeBackend: 'backend-7' },
      force: true,
    });
    expect(d.mailToUnknown).toEqual({ action: 'discard' });
    expect(d.postmaster).toBe('pm@example.org');
    expect(d.defaults).toEqual({ MaxMessageSize: 10 * 1024 * 1024, HomeBackend: 'backend-7' });
    expect(d.effective.sources.MaxMessageSize).toBe('domain');
    d = await updateDomain(s, {
      name: 'example.com',
      postmaster: null,
      defaults: { maxmessagesize: 'default' },
    });
    expect(d.postmaster).toBeUndefined();
    expect(d.defaults).toEqual({ HomeBackend: 'backend-7' });
  });

  it('refuses unknown, duplicate and non-empty domains', async () => {
    const s = t.storage;
    await expect(getDomain(s, { name: 'nowhere.example' })).rejects.toThrow(NotFoundAdminError);
    await expect(updateDomain(s, { name: 'nowhere.example', postmaster: null })).rejects.toThrow(
      'domain nowhere.example does not exist',
    );
    await expect(removeDomain(s, { name: 'nowhere.example' })).rejects.toThrow(NotFoundAdminError);
    await addDomain(s, { name: 'example.com' });
    await expect(addDomain(s, { name: 'EXAMPLE.com' })).rejects.toThrow(AlreadyExistsError);
    await addAccount(s, { address: 'alice@example.com' });
    await setRuleSet(s, { scope: 'domain', name: 'example.com', rules: [TAG_RULE] });
    await expect(removeDomain(s, { name: 'example.com' })).rejects.toThrow(DomainNotEmptyError);
    expect(await removeDomain(s, { name: 'example.com', force: true })).toEqual({
      name: 'example.com',
      removed: true,
    });
    expect(await s.directory.getAccount('alice@example.com')).toBeUndefined();
    expect(await s.rules.get({ kind: 'domain', name: 'example.com' })).toEqual([]);
  });
});
