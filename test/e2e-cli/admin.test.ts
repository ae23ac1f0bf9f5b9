/**
 * `strato admin` in-process on a temp data dir: add (a generated password printed once, or one
 * from stdin), list, set-password, set-role, disable/enable, remove, tokens; every change lands in
 * the audit trail with via "cli" and the operator's name; bad input exits 2, an unknown name or
 * the last cluster administrator's removal exits 1, with one stderr line and nothing changed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { createAdminAccess } from '../../core/admin-access/admin-access.ts';
import { cliFor, hasStackTrace, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

interface AdminJson {
  name: string;
  role: string;
  domains: string[];
  disabled: boolean;
  password?: string;
}

async function loginWorks(name: string, password: string): Promise<boolean> {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    const access = createAdminAccess({
      store: storage.admin,
      counters: storage.counters,
      clock: { now: Date.now },
    });
    return (await access.login(name, password, '127.0.0.1')).ok;
  } finally {
    await storage.close();
  }
}

describe('strato admin', () => {
  it('adds, lists, changes and removes administrators, audited as the operator', async () => {
    const root = await cli.json<AdminJson>(['admin', 'add', 'root']);
    expect(root).toMatchObject({ name: 'root', role: 'cluster', domains: [], disabled: false });
    expect(root.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await loginWorks('root', root.password!)).toBe(true);

    const added = await cli.run(
      [
        'admin',
        'add',
        'Dora',
        '--role',
        'domain',
        '--domains',
        'example.com,Example.org',
        '--password-stdin',
      ],
      { input: 'dora-password\n' },
    );
    expect(added).toMatchObject({
      code: 0,
      stdout: 'admin dora added (domain administrator of example.com, example.org)\n',
    });
    expect(await loginWorks('dora', 'dora-password')).toBe(true);

    const table = await cli.ok(['admin', 'list']);
    expect(table).toMatch(/^NAME\s+ROLE\s+DOMAINS\s+STATE\s+CREATED\n/);
    expect(table).toMatch(/dora\s+domain\s+example\.com,example\.org\s+enabled/);

    expect(await cli.ok(['admin', 'set-password', 'dora', '--password', 'dora-new-password'])).toBe(
      'admin dora: password set\n',
    );
    expect(await loginWorks('dora', 'dora-new-password')).toBe(true);
    expect(await cli.ok(['admin', 'set-role', 'dora', 'cluster'])).toBe(
      'admin dora changed (cluster administrator)\n',
    );
    expect(await cli.ok(['admin', 'disable', 'dora'])).toBe(
      'admin dora disabled (cluster administrator, disabled)\n',
    );
    expect(await loginWorks('dora', 'dora-new-password')).toBe(false);
    await cli.ok(['admin', 'enable', 'dora']);

    const made = await cli.json<{ id: string; token: string; admin: string }>([
      'admin',
      'tokens',
      'create',
      'dora',
      '--label',
      'backup script',
    ]);
    expect(made.token).toMatch(/^strato_/);
    const tokens = await cli.json<{ id: string; label: string }[]>(['admin', 'tokens', 'list']);
    expect(tokens).toEqual([expect.objectContaining({ id: made.id, admin: 'dora', label: 'backup script' })]);
    expect(JSON.stringify(tokens)).not.toContain(made.token.split('.')[1]);
    expect(await cli.ok(['admin', 'tokens', 'revoke', made.id])).toBe(`token ${made.id} revoked\n`);
    expect(await cli.ok(['admin', 'remove', 'dora'])).toBe('admin dora removed\n');
    expect((await cli.json<AdminJson[]>(['admin', 'list'])).map((a) => a.name)).toEqual(['root']);

    const storage = await openEmbeddedStorage({ dataDir: data.dir });
    try {
      const { items } = await storage.admin.listAudit({ limit: 50 });
      expect(items.every((r) => r.via === 'cli')).toBe(true);
      expect(items.map((r) => r.action).reverse()).toEqual([
        'admin.create',
        'admin.create',
        'admin.update',
        'admin.update',
        'admin.update',
        'admin.update',
        'token.create',
        'token.revoke',
        'admin.remove',
      ]);
    } finally {
      await storage.close();
    }
  });

  it('refuses bad input with exit 2 and impossible changes with exit 1, changing nothing', async () => {
    const before = await cli.json(['admin', 'list']);
    for (const [args, code] of [
      [['admin', 'add', 'bad name'], 2],
      [['admin', 'add', 'eve', '--role', 'root'], 2],
      [['admin', 'add', 'eve', '--role', 'domain'], 2],
      [['admin', 'add', 'eve', '--password', 'short'], 2],
      [['admin', 'add', 'root'], 1],
      [['admin', 'set-password', 'nobody', '--password', 'long-enough'], 1],
      [['admin', 'remove', 'root'], 1],
      [['admin', 'disable', 'root'], 1],
      [['admin', 'set-role', 'root', 'domain', '--domains', 'example.com'], 1],
      [['admin', 'tokens', 'revoke', 'nope'], 1],
    ] as const) {
      const r = await cli.run([...args]);
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(hasStackTrace(r.stderr)).toBe(false);
    }
    expect(await cli.json(['admin', 'list'])).toEqual(before);
  });
});
