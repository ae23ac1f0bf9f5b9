/**
 * End-to-end tests of `strato rules` through the CLI in-process: get/set for the cluster, a domain
 * and an account (file and stdin, [] removes), validation errors naming rule and field (exit 2,
 * nothing stored), unknown owners (exit 1), and `rules test` explaining a decision for a sample
 * message (text and --json) without storing or sending anything.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { cliFor, hasStackTrace, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);
const file = (name: string, content: unknown) => {
  const path = join(data.dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const ACCOUNT_RULES = [
  {
    name: 'Spam to Junk',
    priority: 'highest',
    conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
    actions: [
      { action: 'store', folder: 'Junk' },
      { action: 'mark', flags: ['Seen', 'Junk'] },
      { action: 'stop' },
    ],
  },
  {
    name: 'Vacation',
    priority: 5,
    conditions: [{ field: 'Human Generated', op: 'is', value: true }],
    actions: [
      {
        action: 'vacation',
        subject: 'Out of office',
        text: 'Away until 14 April.',
        days: 7,
        from: '2025-04-01',
        until: '2025-04-14',
      },
    ],
  },
];
const DOMAIN_RULES = [
  {
    name: 'Tag external mail',
    priority: 5,
    conditions: [{ field: 'Return-Path', op: 'not in', value: ['*@example.com'] }],
    actions: [{ action: 'tag subject', tag: '[EXT]' }],
  },
];
const CLUSTER_RULES = [
  {
    name: 'Retired address',
    priority: 9,
    conditions: [{ field: 'Any Recipient', op: 'is', value: 'sales-old@example.com' }],
    actions: [{ action: 'redirect', to: ['sales@example.com'] }, { action: 'stop' }],
  },
];

beforeAll(async () => {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    await storage.directory.addDomain({
      name: 'example.com',
      mailToUnknown: { action: 'reject' },
      defaults: {},
      createdAt: 0,
    });
    await storage.directory.addAccount({
      address: 'alice@example.com',
      domain: 'example.com',
      name: 'alice',
      realName: 'Alice',
      settings: {},
      createdAt: 0,
    });
  } finally {
    await storage.close();
  }
});
afterAll(() => data.remove());

describe('strato rules get/set', () => {
  it('stores and prints rule sets for an account, a domain and the cluster', async () => {
    const [a, d, c] = await Promise.all([
      cli.ok(['rules', 'set', 'account', 'Alice@Example.com', file('account.json', ACCOUNT_RULES)]),
      cli.ok(['rules', 'set', 'domain', 'example.com', '-'], { input: JSON.stringify(DOMAIN_RULES) }),
      cli.ok(['rules', 'set', 'cluster', file('cluster.json', CLUSTER_RULES)]),
    ]);
    expect(a).toBe('account alice@example.com: 2 rule(s) stored ("Spam to Junk", "Vacation")\n');
    expect(d).toBe('domain example.com: 1 rule(s) stored ("Tag external mail")\n');
    expect(c).toBe('cluster: 1 rule(s) stored ("Retired address")\n');
    const [ga, gd, gc] = await Promise.all([
      cli.ok(['rules', 'get', 'account', 'alice@example.com']),
      cli.ok(['rules', 'get', 'domain', 'example.com']),
      cli.ok(['rules', 'get', 'cluster']),
    ]);
    expect(JSON.parse(ga)).toEqual(ACCOUNT_RULES);
    expect(JSON.parse(gd)).toEqual(DOMAIN_RULES);
    expect(JSON.parse(gc)).toEqual(CLUSTER_RULES);
    expect(await cli.json(['rules', 'set', 'domain', 'example.com', file('empty.json', [])])).toEqual({
      ruleSet: 'domain example.com',
      rules: [],
    });
    expect(JSON.parse(await cli.ok(['rules', 'get', 'domain', 'example.com']))).toEqual([]);
  });

  it('refuses an invalid rule set with one line per problem naming rule and field, exit 2', async () => {
    const bad = [
      { name: 'ok', priority: 1, actions: [{ action: 'stop' }] },
      { name: 'away', priority: 10, actions: [{ action: 'vacation', text: 'x', days: 0 }] },
    ];
    const r = await cli.run(['rules', 'set', 'account', 'alice@example.com', file('bad.json', bad)]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'strato: rule 1 ("away"): priority: expected "inactive", an integer 1..9 or "highest"',
      'strato: rule 1 ("away"): actions[0].days: expected a positive integer',
      `strato: ${join(data.dir, 'bad.json')}: 2 problem(s); the account alice@example.com rule set was not changed`,
    ]);
    const cluster = await cli.run(['rules', 'set', 'cluster', '-'], { input: JSON.stringify(ACCOUNT_RULES) });
    expect(cluster.code).toBe(2);
    expect(cluster.stderr).toContain('rule 0 ("Spam to Junk"): actions[0].action: "store" needs an account');
    const syntax = await cli.run(['rules', 'set', 'cluster', '-'], { input: '[{' });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/^strato: rule set: not valid JSON/);
    expect(hasStackTrace(r.stderr + cluster.stderr + syntax.stderr)).toBe(false);
  });

  it('exits 1 for an unknown owner and 2 for bad usage', async () => {
    const [unknown, noName, extra, scope] = await Promise.all([
      cli.run(['rules', 'get', 'account', 'bob@example.com']),
      cli.run(['rules', 'get', 'domain']),
      cli.run(['rules', 'get', 'cluster', 'example.com']),
      cli.run(['rules', 'set', 'server', 'x.json']),
    ]);
    expect(unknown).toMatchObject({ code: 1, stderr: 'strato: account bob@example.com does not exist\n' });
    expect(noName.code).toBe(2);
    expect(extra).toMatchObject({
      code: 2,
      stderr: 'strato: the cluster rule set takes no name (got "example.com")\n',
    });
    expect(scope).toMatchObject({
      code: 2,
      stderr: 'strato: invalid scope "server": expected one of cluster, domain, account\n',
    });
  });
  it("removes an account's rule set with the account", async () => {
    await cli.ok(['account', 'add', 'temp@example.com']);
    await cli.ok(['rules', 'set', 'account', 'temp@example.com', file('temp.json', DOMAIN_RULES)]);
    await cli.ok(['account', 'remove', 'temp@example.com']);
    await cli.ok(['account', 'add', 'temp@example.com']);
    expect(JSON.parse(await cli.ok(['rules', 'get', 'account', 'temp@example.com']))).toEqual([]);
  });
});

describe('strato rules test', () => {
  it('explains which rules match a sample message and what each action would do', async () => {
    await cli.ok(['rules', 'set', 'domain', 'example.com', file('domain.json', DOMAIN_RULES)]);
    const eml = file(
      'sample.eml',
      'From: Bob <bob@example.org>\r\nTo: alice@example.com\r\nSubject: Lunch?\r\n\r\nHi\r\n',
    );
    const out = await cli.ok(['rules', 'test', 'alice@example.com', eml, '--at', '2025-04-03T09:00:00Z']);
    expect(out).toContain(
      'Rules for alice@example.com\n  message: from <bob@example.org> to alice@example.com, source SMTP',
    );
    expect(out).toContain('  evaluated at: 2025-04-03 09:00 Thu (UTC)');
    expect(out).toContain('domain rules\n  rule 0 "Tag external mail" [priority 5]: matched');
    expect(out).toContain(
      '  rule 0 "Spam to Junk" [priority highest]: not matched\n    no    Header Field X-Spam-Flag is "YES": no X-Spam-Flag header',
    );
    expect(out).toContain(
      '    ->    vacation reply to bob@example.org, unless already answered within 7 day(s)',
    );
    expect(out).toContain(
      'Result\n  message: store in INBOX\n  header edit: tag subject with "[EXT]"\n  auto-reply: vacation to bob@example.org',
    );

    const spam = file('spam.eml', 'From: x@spam.example\r\nX-Spam-Flag: YES\r\n\r\nbuy\r\n');
    const json = await cli.json<{ fate: unknown; flags: string[] }>([
      'rules',
      'test',
      'alice@example.com',
      spam,
      '--from',
      '<>',
    ]);
    expect(json).toMatchObject({ fate: { kind: 'deliver', folders: ['Junk'] }, flags: ['\\Seen', '$Junk'] });
    const outside = await cli.ok(['rules', 'test', 'alice@example.com', eml, '--at', '2025-05-01T09:00:00Z']);
    expect(outside).toContain('skip  vacation not active on 2025-05-01 (window 2025-04-01 to 2025-04-14)');
  });

  it('stores and sends nothing', async () => {
    const storage = await openEmbeddedStorage({ dataDir: data.dir });
    try {
      expect(await storage.mailboxes.folders('alice@example.com')).toEqual([]);
      expect(await storage.queue.list()).toEqual([]);
    } finally {
      await storage.close();
    }
  });
});
