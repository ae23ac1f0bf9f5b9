/** The lease use cases on real embedded storage: where an account is open, and the fenced force-release. */
import { afterEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { LeaseConflictError, releaseAccountLease, whereIsAccount } from './leases.ts';

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

async function setup() {
  t = await tempStorage();
  await seedDomain(t.storage.directory, 'example.com', ['alice']);
  await t.storage.directory.addAlias({
    address: 'al@example.com',
    account: 'alice@example.com',
  });
  await t.storage.backends.heartbeat({ id: 'b1', address: '127.0.0.1:1', kind: 'lmtp' }, 60_000);
  return t;
}

describe('whereIsAccount / releaseAccountLease', () => {
  it('shows the lease (through an alias too) and releases it once, fenced by its epoch', async () => {
    const { storage, clock } = await setup();
    expect((await whereIsAccount(storage, 'alice@example.com', clock.now())).lease).toBeNull();
    await storage.leases.acquire('alice@example.com', 'b1', 60_000);
    const where = await whereIsAccount(storage, 'al@example.com', clock.now());
    expect(where).toMatchObject({
      account: 'alice@example.com',
      lease: { owner: 'b1', epoch: 1, held: true, ownerLive: true },
      home: { backend: null, live: false, registered: false },
    });
    const stale = await releaseAccountLease(storage, 'alice@example.com', 7, clock.now()).catch((e) => e);
    expect(stale).toBeInstanceOf(LeaseConflictError);
    expect(stale.reason).toBe('epoch-mismatch');
    expect(await releaseAccountLease(storage, 'al@example.com', 1, clock.now())).toEqual({
      account: 'alice@example.com',
      released: true,
      owner: 'b1',
      epoch: 1,
    });
    const again = await releaseAccountLease(storage, 'alice@example.com', undefined, clock.now()).catch(
      (e) => e,
    );
    expect(again).toMatchObject({ reason: 'not-held' });
  });

  it('refuses a malformed address and an unknown account', async () => {
    const { storage } = await setup();
    await expect(whereIsAccount(storage, 'not an address')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(whereIsAccount(storage, 'nobody@example.com')).rejects.toBeInstanceOf(NotFoundAdminError);
    await expect(releaseAccountLease(storage, 'nobody@example.com')).rejects.toBeInstanceOf(
      NotFoundAdminError,
    );
  });
});
