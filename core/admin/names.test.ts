/** Alias and forwarder use cases on real embedded storage: success, bad fields, unknown and taken names. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { AlreadyExistsError } from '../directory/errors.ts';
import { addAccount } from './accounts.ts';
import { addAlias, listAliases, removeAlias } from './aliases.ts';
import { addDomain } from './domains.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { addForwarder, listForwarders, removeForwarder } from './forwarders.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await addDomain(t.storage, { name: 'example.com' });
  await addAccount(t.storage, { address: 'alice@example.com' });
});
afterEach(() => t.cleanup());

const fieldOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: unknown) => (err instanceof InvalidInputError ? err.field : err),
  );

describe('alias use cases', () => {
  it('adds, lists and removes aliases', async () => {
    const s = t.storage;
    expect(await addAlias(s, { address: 'Info@Example.com', account: 'ALICE@example.com' })).toEqual({
      address: 'info@example.com',
      account: 'alice@example.com',
    });
    await addAlias(s, { address: 'a@example.com', account: 'alice@example.com' });
    expect((await listAliases(s, { domain: 'example.com' })).map((a) => a.address)).toEqual([
      'a@example.com',
      'info@example.com',
    ]);
    expect(await removeAlias(s, { address: 'info@example.com' })).toEqual({
      address: 'info@example.com',
      removed: true,
    });
    expect(await listAliases(s, { domain: 'example.com' })).toHaveLength(1);
  });

  it('refuses bad fields, unknown domains or accounts, taken names and other kinds', async () => {
    const s = t.storage;
    expect(await fieldOf(addAlias(s, { address: 'x', account: 'alice@example.com' }))).toBe('address');
    expect(await fieldOf(addAlias(s, { address: 'x@example.com', account: '@' }))).toBe('account');
    await expect(addAlias(s, { address: 'x@nowhere.example', account: 'alice@example.com' })).rejects.toThrow(
      NotFoundAdminError,
    );
    await expect(addAlias(s, { address: 'x@example.com', account: 'ghost@example.com' })).rejects.toThrow(
      'account ghost@example.com does not exist',
    );
    await expect(addAlias(s, { address: 'alice@example.com', account: 'alice@example.com' })).rejects.toThrow(
      AlreadyExistsError,
    );
    await expect(removeAlias(s, { address: 'alice@example.com' })).rejects.toThrow(
      'alias alice@example.com does not exist (it is an account)',
    );
    await expect(listAliases(s, { domain: 'nowhere.example' })).rejects.toThrow(NotFoundAdminError);
  });
});

describe('forwarder use cases', () => {
  it('adds, lists and removes forwarders', async () => {
    const s = t.storage;
    expect(await addForwarder(s, { address: 'Sales@example.com', target: 'Bob@Example.org' })).toEqual({
      address: 'sales@example.com',
      target: 'bob@example.org',
    });
    expect(await listForwarders(s, { domain: 'example.com' })).toEqual([
      { address: 'sales@example.com', target: 'bob@example.org' },
    ]);
    await removeForwarder(s, { address: 'sales@example.com' });
    expect(await listForwarders(s, { domain: 'example.com' })).toEqual([]);
  });

  it('refuses bad fields, a loop to itself, unknown domains, taken names and other kinds', async () => {
    const s = t.storage;
    expect(await fieldOf(addForwarder(s, { address: 'nope', target: 'b@example.org' }))).toBe('address');
    expect(await fieldOf(addForwarder(s, { address: 'x@example.com', target: 'b@' }))).toBe('target');
    expect(await fieldOf(addForwarder(s, { address: 'x@example.com', target: 'X@example.com' }))).toBe(
      'target',
    );
    await expect(addForwarder(s, { address: 'x@nowhere.example', target: 'b@example.org' })).rejects.toThrow(
      NotFoundAdminError,
    );
    await expect(addForwarder(s, { address: 'alice@example.com', target: 'b@example.org' })).rejects.toThrow(
      AlreadyExistsError,
    );
    await expect(removeForwarder(s, { address: 'alice@example.com' })).rejects.toThrow(
      'forwarder alice@example.com does not exist (it is an account)',
    );
  });
});
