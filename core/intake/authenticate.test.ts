import { describe, expect, it } from 'vitest';
import { hashPassword } from '../auth/password.ts';
import type { AccountRecord, DirectoryReader } from '../ports/directory.ts';
import { silentLogger } from '../ports/logger.ts';
import { authenticate } from './authenticate.ts';

async function directory(opts: { fail?: boolean } = {}) {
  const hash = await hashPassword('s3cret');
  const accounts = new Map<string, AccountRecord>([
    [
      'alice@example.com',
      {
        address: 'alice@example.com',
        domain: 'example.com',
        name: 'alice',
        passwordHash: hash,
        settings: {},
        createdAt: 0,
      },
    ],
    [
      'bob@example.com',
      {
        address: 'bob@example.com',
        domain: 'example.com',
        name: 'bob',
        passwordHash: hash,
        settings: { Enabled: false },
        createdAt: 0,
      },
    ],
    [
      'nopw@example.com',
      { address: 'nopw@example.com', domain: 'example.com', name: 'nopw', settings: {}, createdAt: 0 },
    ],
  ]);
  return {
    async getAccount(address: string) {
      if (opts.fail) throw new Error('SQLITE_BUSY');
      return accounts.get(address);
    },
    async getDomain() {
      return { name: 'example.com', mailToUnknown: { action: 'reject' }, defaults: {}, createdAt: 0 };
    },
    async getClusterSettings() {
      return {};
    },
  } as unknown as DirectoryReader;
}

describe('authenticate', () => {
  it('accepts the right password for the normalised address', async () => {
    const deps = { directory: await directory(), logger: silentLogger };
    expect(await authenticate(deps, { username: ' Alice@EXAMPLE.com ', password: 's3cret' })).toEqual({
      ok: true,
      user: 'alice@example.com',
    });
    expect(
      await authenticate(deps, {
        username: 'alice@example.com',
        password: 's3cret',
        authzid: 'ALICE@example.com',
      }),
    ).toMatchObject({ ok: true });
  });

  it('refuses wrong passwords, unknown users, disabled accounts and other identities with 535 5.7.8', async () => {
    const deps = { directory: await directory(), logger: silentLogger };
    const refused = { ok: false, reply: { code: 535, enhanced: '5.7.8' } };
    expect(await authenticate(deps, { username: 'alice@example.com', password: 'wrong' })).toMatchObject(
      refused,
    );
    expect(await authenticate(deps, { username: 'nobody@example.com', password: 's3cret' })).toMatchObject(
      refused,
    );
    expect(await authenticate(deps, { username: 'bob@example.com', password: 's3cret' })).toMatchObject(
      refused,
    );
    expect(await authenticate(deps, { username: 'nopw@example.com', password: '' })).toMatchObject(refused);
    expect(await authenticate(deps, { username: 'alice', password: 's3cret' })).toMatchObject(refused);
    expect(
      await authenticate(deps, {
        username: 'alice@example.com',
        password: 's3cret',
        authzid: 'bob@example.com',
      }),
    ).toMatchObject(refused);
  });

  it('answers 451 4.3.0 when the directory fails', async () => {
    const deps = { directory: await directory({ fail: true }), logger: silentLogger };
    expect(await authenticate(deps, { username: 'alice@example.com', password: 's3cret' })).toMatchObject({
      ok: false,
      reply: { code: 451, enhanced: '4.3.0' },
    });
  });
});
