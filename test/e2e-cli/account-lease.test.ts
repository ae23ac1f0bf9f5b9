/**
 * `strato account where/release` and the HomeBackend checks of `account/domain/cluster set`,
 * through the CLI's `main` on a temp data dir whose leases and backend registry are written
 * through the real embedded adapters (as running backends would).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { cliFor, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

async function withStorage<T>(
  fn: (s: Awaited<ReturnType<typeof openEmbeddedStorage>>) => Promise<T>,
): Promise<T> {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

beforeAll(async () => {
  await cli.ok(['domain', 'add', 'example.com']);
  await cli.ok(['account', 'add', 'alice@example.com']);
  await cli.ok(['account', 'add', 'bob@example.com']);
  await cli.ok(['alias', 'add', 'al@example.com', 'alice@example.com']);
  await withStorage(async (s) => {
    await s.backends.heartbeat({ id: 'backend-1', address: '127.0.0.1:1', kind: 'lmtp' }, 600_000);
    await s.backends.heartbeat({ id: 'backend-2', address: '127.0.0.1:2', kind: 'lmtp' }, 600_000);
    await s.leases.acquire('alice@example.com', 'backend-1', 600_000);
    await s.leases.acquire('alice@example.com', 'backend-2', 600_000); // refused: held
    // Bob's lease was taken and has expired.
    await s.leases.acquire('bob@example.com', 'backend-2', 1);
  });
});

describe('strato account where', () => {
  it('names the lease owner, epoch, expiry, liveness and the home backend with its source', async () => {
    const text = await cli.ok(['account', 'where', 'al@example.com']);
    expect(text).toMatch(/^Account:\s+alice@example.com$/m);
    expect(text).toMatch(/^Owner:\s+backend-1 \(live\)$/m);
    expect(text).toMatch(/^Epoch:\s+1$/m);
    expect(text).toMatch(/^Lease:\s+\S+Z \(expires in \d+m\)$/m);
    expect(text).toMatch(/^Home backend:\s+none \(from built-in\)/m);

    await cli.ok(['domain', 'set', 'example.com', 'HomeBackend', 'backend-2']);
    const json = await cli.json<Record<string, unknown>>(['account', 'where', 'alice@example.com']);
    expect(json).toEqual({
      account: 'alice@example.com',
      lease: { owner: 'backend-1', epoch: 1, expiresAt: expect.any(Number), held: true, ownerLive: true },
      home: { backend: 'backend-2', from: 'domain', live: true, registered: true },
    });
    await cli.ok(['domain', 'set', 'example.com', 'HomeBackend', 'default']);
  });

  it('says when no backend ever opened the account, and refuses an unknown account', async () => {
    await cli.ok(['account', 'add', 'carol@example.com']);
    expect(await cli.ok(['account', 'where', 'carol@example.com'])).toMatch(/^Owner:\s+- \(never opened\)$/m);
    const r = await cli.run(['account', 'where', 'nobody@example.com']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'strato: account nobody@example.com does not exist\n',
    });
  });
});

describe('strato account release', () => {
  it('refuses a lease that is not held, or a stale --epoch, and changes nothing', async () => {
    const before = await withStorage((s) =>
      Promise.all([s.leases.get('alice@example.com'), s.leases.get('bob@example.com')]),
    );
    const expired = await cli.run(['account', 'release', 'bob@example.com']);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(
      /^strato: account bob@example\.com is not held: its lease \(owner backend-2, epoch 1\) expired (now|.* ago); nothing to release\n$/,
    );
    const never = await cli.run(['account', 'release', 'carol@example.com']);
    expect(never).toMatchObject({
      code: 1,
      stderr:
        'strato: account carol@example.com is not held: no backend has ever opened it; nothing to release\n',
    });
    const stale = await cli.run(['account', 'release', 'alice@example.com', '--epoch', '7']);
    expect(stale).toMatchObject({
      code: 1,
      stderr: 'strato: account alice@example.com: the lease has epoch 1 now, not 7; nothing released\n',
    });
    const bad = await cli.run(['account', 'release', 'alice@example.com', '--epoch', 'x']);
    expect(bad.code).toBe(2);
    const after = await withStorage((s) =>
      Promise.all([s.leases.get('alice@example.com'), s.leases.get('bob@example.com')]),
    );
    expect(after).toEqual(before);
  });

  it('expires a held lease fenced by its epoch, so another backend opens it with epoch + 1', async () => {
    const out = await cli.json<Record<string, unknown>>([
      'account',
      'release',
      'al@example.com',
      '--epoch',
      '1',
    ]);
    expect(out).toEqual({ account: 'alice@example.com', released: true, owner: 'backend-1', epoch: 1 });
    const again = await cli.run(['account', 'release', 'alice@example.com']);
    expect(again.code).toBe(1);
    const next = await withStorage((s) => s.leases.acquire('alice@example.com', 'backend-2', 60_000));
    expect(next).toMatchObject({ ok: true, lease: { owner: 'backend-2', epoch: 2 } });
  });
});

describe('HomeBackend checks', () => {
  it('refuses a backend that is neither live nor registered (exit 2, nothing changed) unless --force', async () => {
    for (const args of [
      ['account', 'set', 'bob@example.com', 'HomeBackend', 'backend-9'],
      ['domain', 'set', 'example.com', 'HomeBackend', 'backend-9'],
      ['cluster', 'set', 'HomeBackend', 'backend-9'],
    ]) {
      const r = await cli.run(args);
      expect(r).toMatchObject({
        code: 2,
        stdout: '',
        stderr:
          'strato: backend backend-9 is neither live nor registered (registered: backend-1, backend-2); use --force to assign it before it first starts\n',
      });
    }
    const malformed = await cli.run(['account', 'set', 'bob@example.com', 'HomeBackend', 'backend 9']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('HomeBackend');
    const shown = await cli.json<{ settings: Record<string, { effective: unknown; from: string }> }>([
      'account',
      'show',
      'bob@example.com',
    ]);
    expect(shown.settings.HomeBackend).toMatchObject({ effective: null, from: 'built-in' });

    expect(await cli.ok(['account', 'set', 'bob@example.com', 'HomeBackend', 'backend-9', '--force'])).toBe(
      'bob@example.com: HomeBackend = backend-9\n',
    );
    expect(await cli.ok(['account', 'set', 'bob@example.com', 'HomeBackend', 'backend-2'])).toBe(
      'bob@example.com: HomeBackend = backend-2\n',
    );
    expect(await cli.ok(['account', 'where', 'bob@example.com'])).toMatch(
      /^Home backend:\s+backend-2 \(from account; live\)$/m,
    );
    expect(await cli.ok(['account', 'set', 'bob@example.com', 'HomeBackend', 'none'])).toBe(
      'bob@example.com: HomeBackend = none\n',
    );
  });
});
