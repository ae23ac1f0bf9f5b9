/**
 * The backend side of HomeBackend (real embedded storage, TestClock): a backend asked to deliver
 * for an account homed on another backend answers a temporary outcome whose account fact names
 * the home, and neither takes the lease nor stores; the home backend delivers as usual.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { silentLogger } from '../ports/logger.ts';
import { type DeliverDeps, deliverToAccounts } from './deliver-to-accounts.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
  await seedDomain(t.storage.directory, 'example.com', ['alice', 'bob']);
});
afterEach(async () => {
  await t.cleanup();
});

const deps = (backendId: string): DeliverDeps => ({
  backendId,
  directory: t.storage.directory,
  leases: t.storage.leases,
  mailboxes: t.storage.mailboxes,
  clock: t.clock,
  logger: silentLogger,
  leaseTtlMs: 60_000,
});

let seq = 0;
async function deliver(backendId: string, to: string) {
  const body = 'Subject: hi\r\n\r\nhello\r\n';
  const outcomes = await deliverToAccounts(deps(backendId), {
    deliveryId: `01KC00000000000000${String(++seq).padStart(2, '0')}`,
    mailFrom: 'x@example.org',
    recipients: [to],
    size: body.length,
    openBody: async () => Readable.from([Buffer.from(body)]),
  });
  return outcomes.get(to)!;
}

describe('deliverToAccounts and HomeBackend', () => {
  it('refuses an account homed elsewhere with the home as owner, taking no lease and storing nothing', async () => {
    await t.storage.directory.updateDomain('example.com', { defaults: { HomeBackend: 'b2' } });
    const outcome = await deliver('b1', 'alice@example.com');
    expect(outcome).toMatchObject({
      kind: 'temporary',
      reply: { code: 451, enhanced: '4.2.0' },
      account: { state: 'open-elsewhere', owner: 'b2' },
    });
    expect(await t.storage.leases.get('alice@example.com')).toBeUndefined();
    expect(await t.storage.mailboxes.list('alice@example.com', 'INBOX')).toEqual([]);

    expect(await deliver('b2', 'alice@example.com')).toMatchObject({ kind: 'delivered' });
    expect((await t.storage.leases.get('alice@example.com'))?.owner).toBe('b2');
  });

  it('lets the account setting override the domain default ("none" = no home)', async () => {
    await t.storage.directory.updateDomain('example.com', { defaults: { HomeBackend: 'b2' } });
    await t.storage.directory.updateAccountSettings('bob@example.com', { HomeBackend: null });
    expect(await deliver('b1', 'bob@example.com')).toMatchObject({ kind: 'delivered' });
    await t.storage.directory.updateAccountSettings('bob@example.com', { HomeBackend: 'b1' });
    expect(await deliver('b1', 'bob@example.com')).toMatchObject({ kind: 'delivered' });
    expect(await deliver('b2', 'alice@example.com')).toMatchObject({ kind: 'delivered' });
  });
});
