/**
 * RCPT of a suppressed external address (SES reported a bounce or complaint): refused to an
 * authenticated sender with 550 5.1.1, on the real SQLite storage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { checkRecipient, type EnvelopeDeps } from './envelope-checks.ts';

let t: TempStorage;
let deps: EnvelopeDeps;
beforeAll(async () => {
  t = await tempStorage();
  await t.storage.directory.addDomain({
    name: 'ours.test',
    mailToUnknown: { action: 'reject' },
    defaults: {},
    createdAt: 1,
  });
  await t.storage.suppressions.put({ address: 'gone@example.net', reason: 'bounce', at: 5, detail: '5.1.1' });
  await t.storage.suppressions.put({ address: 'angry@example.org', reason: 'complaint', at: 6 });
  deps = {
    directory: t.storage.directory,
    mailboxes: t.storage.mailboxes,
    trustedNetworks: { contains: () => false },
    logger: { error: () => {} },
    suppressions: t.storage.suppressions,
  } as unknown as EnvelopeDeps;
});
afterAll(() => t.cleanup());

const authed = {
  ip: '192.0.2.1',
  helo: 'c.test',
  esmtp: true,
  tls: true,
  requireAuth: true,
  authUser: 'bob@ours.test',
};

describe('suppressed recipients', () => {
  it('refuses a suppressed address to an authenticated sender, naming the reason', async () => {
    expect(await checkRecipient(deps, authed, { address: 'Gone@Example.net' })).toEqual({
      ok: false,
      reply: {
        code: 550,
        enhanced: '5.1.1',
        text: '<gone@example.net>: address suppressed after a bounce (SES); ask the postmaster to remove it',
      },
    });
    expect(await checkRecipient(deps, authed, { address: 'angry@example.org' })).toMatchObject({
      ok: false,
      reply: { code: 550, text: expect.stringContaining('after a complaint (SES)') },
    });
  });

  it('accepts other external addresses, and the address again once the suppression is removed', async () => {
    expect(await checkRecipient(deps, authed, { address: 'fine@example.net' })).toMatchObject({ ok: true });
    await t.storage.suppressions.remove('angry@example.org');
    expect(await checkRecipient(deps, authed, { address: 'angry@example.org' })).toMatchObject({ ok: true });
  });
});
