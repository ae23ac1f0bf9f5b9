/**
 * End-to-end tests of the directory commands through the CLI's `main` (in-process): domains,
 * accounts (with the stored scrypt hash checked), aliases, forwarders, and the inheritance of
 * settings (account → domain → cluster → built-in) as `account show` and `cluster settings` print
 * it. One temp data dir for the file; steps build on each other, independent runs go in parallel.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { verifyPassword } from '../../core/auth/password.ts';
import { cliFor, strato, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
afterAll(() => data.remove());

async function storedAccount(address: string) {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    return await storage.directory.getAccount(address);
  } finally {
    await storage.close();
  }
}

describe('strato domain', () => {
  it('adds, lists, sets, shows and removes domains', async () => {
    const [a, b, c] = await Promise.all([
      cli.ok(['domain', 'add', 'Example.COM']),
      cli.ok(['domain', 'add', 'example.org', '--mail-to-unknown', 'reroute:PostMaster@example.org']),
      cli.ok(['domain', 'add', 'gone.example', '--mail-to-unknown', 'discard']),
    ]);
    expect(a).toBe('domain example.com added (mail to unknown names: reject)\n');
    expect(b).toBe('domain example.org added (mail to unknown names: reroute:postmaster@example.org)\n');
    expect(c).toContain('domain gone.example added');

    const list = await cli.ok(['domain', 'list']);
    const lines = list.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^DOMAIN\s+MAIL-TO-UNKNOWN\s+DEFAULTS\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['example.com', 'reject', 'none'],
      ['example.org', 'reroute:postmaster@example.org', 'none'],
      ['gone.example', 'discard', 'none'],
    ]);

    const [set1, set2, removed] = await Promise.all([
      cli.ok(['domain', 'set', 'example.com', 'MaxAccountSize', '50M']),
      cli.ok(['domain', 'set', 'example.org', 'mail-to-unknown', 'accept-and-bounce']),
      cli.ok(['domain', 'remove', 'gone.example']),
    ]);
    expect(set1).toBe('domain example.com: MaxAccountSize = 50M\n');
    expect(set2).toBe('domain example.org: mail to unknown names: accept-and-bounce\n');
    expect(removed).toBe('domain gone.example removed\n');

    const [domains, show, viaEnv] = await Promise.all([
      cli.json<{ name: string; mailToUnknown: unknown; defaults: unknown }[]>(['domain', 'list']),
      cli.ok(['domain', 'show', 'example.com']),
      // Without --data-dir the CLI uses $STRATO_DATA_DIR.
      strato(data.dir, ['domain', 'list'], { noDataDir: true, env: { STRATO_DATA_DIR: data.dir } }),
    ]);
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toMatch(/^example\.com\s+reject\s+MaxAccountSize=50M\s/m);
    expect(domains.map((d) => [d.name, d.mailToUnknown, d.defaults])).toEqual([
      ['example.com', { action: 'reject' }, { MaxAccountSize: 50 * 1024 * 1024 }],
      ['example.org', { action: 'accept-and-bounce' }, {}],
    ]);
    expect(show).toMatch(/^Domain:\s+example\.com$/m);
    expect(show).toMatch(/^Mail to unknown:\s+reject$/m);
    expect(show).toMatch(/^Accounts:\s+0$/m);
    expect(show).toMatch(/^MaxAccountSize\s+50M\s+domain\s+50M\s+-\s+100M$/m);
  });
});

describe('strato domain: IDN names and the postmaster target', () => {
  it('stores an IDN domain in A-label form whichever form is given, and sets and clears its postmaster', async () => {
    expect(await cli.ok(['domain', 'add', 'Bücher.Example', '--postmaster', 'Alice@Bücher.Example'])).toBe(
      'domain xn--bcher-kva.example added (mail to unknown names: reject)\n',
    );
    const again = await cli.run(['domain', 'add', 'xn--bcher-kva.example']);
    expect(again.code).toBe(1); // the same domain in its other form
    const shown = await cli.json<{ name: string; postmaster?: string }>(['domain', 'show', 'bücher.example']);
    expect(shown).toMatchObject({ name: 'xn--bcher-kva.example', postmaster: 'alice@xn--bcher-kva.example' });

    expect(await cli.ok(['domain', 'set', 'xn--bcher-kva.example', 'postmaster', 'Bob@Example.net'])).toBe(
      'domain xn--bcher-kva.example: postmaster@xn--bcher-kva.example goes to bob@example.net when there is no such name\n',
    );
    expect(await cli.ok(['domain', 'show', 'xn--bcher-kva.example'])).toMatch(
      /^Postmaster:\s+bob@example\.net$/m,
    );
    expect(await cli.ok(['domain', 'set', 'bücher.example', 'postmaster', 'default'])).toBe(
      'domain xn--bcher-kva.example: postmaster cleared (STRATO_POSTMASTER applies)\n',
    );
    const cleared = await cli.json<{ postmaster?: string }>(['domain', 'show', 'xn--bcher-kva.example']);
    expect(cleared.postmaster).toBeUndefined();
  });
});

describe('strato account, alias, forwarder', () => {
  it('adds accounts with hashed passwords and lists them', async () => {
    const [alice, bob] = await Promise.all([
      cli.ok(['account', 'add', 'Alice@Example.com', '--password-stdin', '--real-name', 'Alice Liddell'], {
        input: 's3cret pass\n',
      }),
      cli.ok(['account', 'add', 'bob@example.com']),
    ]);
    expect(alice).toBe('account alice@example.com added\n');
    expect(bob).toBe('account bob@example.com added (no password: cannot authenticate)\n');

    const list = await cli.ok(['account', 'list', 'example.com']);
    expect(list).toMatch(/^alice@example\.com\s+Alice Liddell\s+set\s+none\s+\S+Z$/m);
    expect(list).toMatch(/^bob@example\.com\s+-\s+none\s+none\s+\S+Z$/m);
    const record = await storedAccount('alice@example.com');
    expect(record?.passwordHash).toMatch(/^\$scrypt\$/);
    expect(await verifyPassword('s3cret pass', record?.passwordHash)).toBe(true);

    expect(await cli.ok(['account', 'set-password', 'alice@example.com', '--password', 'n3w'])).toBe(
      'password of alice@example.com set\n',
    );
    const after = await storedAccount('alice@example.com');
    expect(await verifyPassword('n3w', after?.passwordHash)).toBe(true);
    expect(await verifyPassword('s3cret pass', after?.passwordHash)).toBe(false);
  });

  it('adds, lists and removes aliases and forwarders; removing an account takes its aliases', async () => {
    const [alias, fwd] = await Promise.all([
      cli.ok(['alias', 'add', 'info@example.com', 'alice@example.com']),
      cli.ok(['forwarder', 'add', 'sales@example.com', 'Bob@Example.org']),
    ]);
    expect(alias).toBe('alias info@example.com -> alice@example.com added\n');
    expect(fwd).toBe('forwarder sales@example.com -> bob@example.org added\n');
    await cli.ok(['alias', 'add', 'bobby@example.com', 'bob@example.com']);

    const [aliases, forwarders, aliasJson, show] = await Promise.all([
      cli.ok(['alias', 'list', 'example.com']),
      cli.ok(['forwarder', 'list', 'example.com']),
      cli.json(['alias', 'list', 'example.com']),
      cli.ok(['account', 'show', 'alice@example.com']),
    ]);
    expect(aliases.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^ALIAS\s+ACCOUNT$/),
      expect.stringMatching(/^bobby@example\.com\s+bob@example\.com$/),
      expect.stringMatching(/^info@example\.com\s+alice@example\.com$/),
    ]);
    expect(forwarders).toMatch(/^sales@example\.com\s+bob@example\.org$/m);
    expect(aliasJson).toEqual([
      { address: 'bobby@example.com', account: 'bob@example.com' },
      { address: 'info@example.com', account: 'alice@example.com' },
    ]);
    expect(show).toMatch(/^Aliases:\s+info@example\.com$/m);

    const [rmAlias, rmFwd, rmBob] = await Promise.all([
      cli.ok(['alias', 'remove', 'info@example.com']),
      cli.ok(['forwarder', 'remove', 'sales@example.com']),
      cli.ok(['account', 'remove', 'bob@example.com']),
    ]);
    expect(rmAlias).toBe('alias info@example.com removed\n');
    expect(rmFwd).toBe('forwarder sales@example.com removed\n');
    expect(rmBob).toBe('account bob@example.com removed with its aliases bobby@example.com\n');
    const [a2, f2, acc2] = await Promise.all([
      cli.ok(['alias', 'list', 'example.com']),
      cli.ok(['forwarder', 'list', 'example.com']),
      cli.json<{ address: string; hasPassword: boolean; passwordHash?: string }[]>([
        'account',
        'list',
        'example.com',
      ]),
    ]);
    expect(a2).toBe('no aliases in example.com\n');
    expect(f2).toBe('no forwarders in example.com\n');
    expect(acc2.map((a) => [a.address, a.hasPassword, a.passwordHash])).toEqual([
      ['alice@example.com', true, undefined],
    ]);
  });
});

describe('settings inheritance', () => {
  it('account show tells the effective value of each setting and where it comes from', async () => {
    await Promise.all([
      cli.ok(['cluster', 'set', 'MailInpFlow', '100/1h']),
      cli.ok(['account', 'set', 'alice@example.com', 'MaxMessageSize', '5M']),
      cli.ok(['account', 'set', 'alice@example.com', 'maxaccountsize', '10m']),
    ]);
    const show = await cli.ok(['account', 'show', 'alice@example.com']);
    expect(show).toMatch(/^Account:\s+alice@example\.com$/m);
    expect(show).toMatch(/^Real name:\s+Alice Liddell$/m);
    expect(show).toMatch(/^Password:\s+set$/m);
    expect(show).toMatch(/^SETTING\s+EFFECTIVE\s+FROM\s+ACCOUNT\s+DOMAIN\s+CLUSTER\s+BUILT-IN$/m);
    expect(show).toMatch(/^Enabled\s+true\s+built-in\s+-\s+-\s+-\s+true$/m);
    expect(show).toMatch(/^MaxAccountSize\s+10M\s+account\s+10M\s+50M\s+-\s+100M$/m);
    expect(show).toMatch(/^MaxMessageSize\s+5M\s+account\s+5M\s+-\s+-\s+unlimited$/m);
    expect(show).toMatch(/^MailOutFlow\s+1000\/3600s\s+built-in\s+-\s+-\s+-\s+1000\/3600s$/m);
    expect(show).toMatch(/^MailInpFlow\s+100\/3600s\s+cluster\s+-\s+-\s+100\/3600s\s+unlimited$/m);

    // Clearing the account's value hands MaxAccountSize back to the domain default.
    expect(await cli.ok(['account', 'set', 'alice@example.com', 'MaxAccountSize', 'default'])).toBe(
      'alice@example.com: MaxAccountSize cleared; effective 50M (from domain)\n',
    );
    type Shown = { settings: Record<string, { effective: unknown; from: string; account: unknown }> };
    const [json, cluster] = await Promise.all([
      cli.json<Shown>(['account', 'show', 'alice@example.com']),
      cli.ok(['cluster', 'settings']),
    ]);
    expect(json.settings.MaxAccountSize).toMatchObject({
      effective: 50 * 1024 * 1024,
      from: 'domain',
      account: null,
    });
    expect(json.settings.MaxMessageSize).toMatchObject({ effective: 5 * 1024 * 1024, from: 'account' });
    expect(json.settings.MailInpFlow).toMatchObject({ effective: [100, 3600], from: 'cluster' });
    expect(cluster).toMatch(/^MailInpFlow\s+100\/3600s\s+cluster\s+100\/3600s\s+unlimited$/m);
    expect(cluster).toMatch(/^MaxAccountSize\s+100M\s+built-in\s+-\s+100M$/m);

    expect(await cli.ok(['cluster', 'set', 'MailInpFlow', 'default'])).toBe(
      'cluster: MailInpFlow cleared (built-in unlimited applies)\n',
    );
    const again = await cli.json<Shown>(['account', 'show', 'alice@example.com']);
    expect(again.settings.MailInpFlow).toMatchObject({ effective: null, from: 'built-in' });
  });
});
