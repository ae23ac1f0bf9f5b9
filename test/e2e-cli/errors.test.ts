/**
 * How the `strato` CLI fails, run in-process through its `main`: bad input exits 2, unknown or
 * conflicting objects exit 1, each with one stderr line naming the problem, nothing on stdout and
 * never a stack trace (unless STRATO_DEBUG=1). Also checks --help texts (queue and mailbox commands
 * included). The runs are independent and start together against one prepared data dir (example.com
 * with alice). binary.test.ts checks the same through the real bin/strato.js for a few of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { hasStackTrace, strato, tempDataDir } from './run-cli.ts';

const data = tempDataDir();

beforeAll(async () => {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    await storage.directory.addDomain({
      name: 'example.com',
      mailToUnknown: { action: 'reject' },
      defaults: {},
      createdAt: Date.now(),
    });
    await storage.directory.addAccount({
      address: 'alice@example.com',
      domain: 'example.com',
      name: 'alice',
      settings: {},
      createdAt: Date.now(),
    });
  } finally {
    await storage.close();
  }
});
afterAll(() => data.remove());

interface Case {
  readonly args: readonly string[];
  readonly code: 1 | 2;
  readonly message: RegExp;
  readonly input?: string;
}

const CASES: readonly Case[] = [
  // usage and validation: exit 2
  {
    args: ['domain', 'add', 'localhost-ish'],
    code: 2,
    message: /^strato: invalid domain "localhost-ish": domain needs at least one dot$/,
  },
  {
    args: ['domain', 'add'],
    code: 2,
    message: /^strato domain add: missing required argument 'name' \(see "strato domain add --help"\)$/,
  },
  {
    args: ['domain', 'add', 'a.example', 'b.example'],
    code: 2,
    message: /^strato domain add: too many arguments/,
  },
  {
    args: ['domain', 'add', 'x.example', '--mail-to-unknown', 'bounce'],
    code: 2,
    message:
      /^strato: invalid mail-to-unknown "bounce": expected reject, discard, accept-and-bounce or reroute:<address>$/,
  },
  {
    args: ['domain', 'add', 'x.example', '--mail-to-unknown', 'reroute:nobody'],
    code: 2,
    message: /^strato: invalid reroute address "nobody": address must be local@domain$/,
  },
  {
    args: ['domain', 'set', 'example.com', 'Quota', '1'],
    code: 2,
    message: /^strato: unknown setting "Quota": expected one of Enabled, MaxAccountSize, /,
  },
  { args: ['domain'], code: 2, message: /^strato domain: missing command: add, list, show, set, remove / },
  {
    args: ['domian', 'list'],
    code: 2,
    message: /^strato: unknown command 'domian' \(Did you mean domain\?\)/,
  },
  {
    args: ['domain', 'list', '--colour'],
    code: 2,
    message: /^strato domain list: unknown option '--colour'/,
  },
  {
    args: ['account', 'add', 'not-an-address'],
    code: 2,
    message: /^strato: invalid address "not-an-address": address must be local@domain$/,
  },
  {
    args: ['account', 'add', 'a b@example.com'],
    code: 2,
    message: /^strato: invalid address "a b@example.com": bad local part syntax$/,
  },
  {
    args: ['account', 'add', 'dave@example.com', '--password', 'x', '--password-stdin'],
    code: 2,
    message: /^strato: give either --password or --password-stdin, not both$/,
  },
  {
    args: ['account', 'set-password', 'alice@example.com'],
    code: 2,
    message: /^strato: give the new password with --password or --password-stdin$/,
  },
  {
    args: ['account', 'set-password', 'alice@example.com', '--password-stdin'],
    input: '\n',
    code: 2,
    message: /^strato: the password is empty$/,
  },
  {
    args: ['account', 'set', 'alice@example.com', 'MaxAccountSize', 'lots'],
    code: 2,
    message: /^strato: invalid value "lots" for MaxAccountSize: expected a size such as 10M/,
  },
  {
    args: ['account', 'set', 'alice@example.com', 'MailOutFlow', '10 per hour'],
    code: 2,
    message: /^strato: invalid value "10 per hour" for MailOutFlow: expected count\/period/,
  },
  {
    args: ['account', 'set', 'alice@example.com', 'Enabled', 'maybe'],
    code: 2,
    message: /^strato: invalid value "maybe" for Enabled: expected true or false$/,
  },
  {
    args: ['account', 'set', 'alice@example.com', 'Enabled'],
    code: 2,
    message: /^strato account set: missing required argument 'value'/,
  },
  {
    args: ['forwarder', 'add', 'fw@example.com', 'bad target'],
    code: 2,
    message: /^strato: invalid target address "bad target"/,
  },
  {
    args: ['forwarder', 'add', 'fw@example.com', 'fw@example.com'],
    code: 2,
    message: /^strato: forwarder fw@example.com cannot forward to itself$/,
  },
  {
    args: ['cluster', 'set', 'MaxMessageSize', '-5'],
    code: 2,
    message: /^strato: invalid value "-5" for MaxMessageSize/,
  },
  {
    args: ['queue', 'list', '--status', 'stuck'],
    code: 2,
    message:
      /^strato: invalid status "stuck": expected one of ready, in-flight, delayed, dead, held, deferred$/,
  },
  {
    args: ['queue', 'list', '--limit', 'ten'],
    code: 2,
    message: /^strato: invalid limit "ten": expected a positive whole number$/,
  },
  {
    args: ['queue', 'show', 'xyz'],
    code: 2,
    message: /^strato: invalid queue id "xyz": expected 20 characters/,
  },
  {
    args: ['queue', 'retry', 'abc'],
    code: 2,
    message: /^strato: invalid queue id "abc": expected 20 characters/,
  },
  {
    args: ['queue', 'bounce', '01JD0Q5Z8X3V7K2M4N6P', '--reason', ' '],
    code: 2,
    message: /^strato: the bounce reason is empty$/,
  },
  {
    args: ['queue', 'bounce', '01JD0Q5Z8X3V7K2M4N6P', '--reason', 'x'.repeat(201)],
    code: 2,
    message: /^strato: the bounce reason is 201 characters long; at most 200$/,
  },
  {
    args: ['queue', 'delete'],
    code: 2,
    message: /^strato: give a queue id or at least one filter option \(see --help\)$/,
  },
  {
    args: ['mailbox', 'read', 'alice@example.com', '0'],
    code: 2,
    message: /^strato: invalid UID "0": expected a positive whole number$/,
  },
  { args: ['mailbox'], code: 2, message: /^strato mailbox: missing command: folders, list, read / },
  // not found and conflicts: exit 1
  {
    args: ['queue', 'delete', '01JD0Q5Z8X3V7K2M4N6P'],
    code: 1,
    message: /^strato: queue job 01JD0Q5Z8X3V7K2M4N6P not found/,
  },
  {
    args: ['mailbox', 'list', 'ghost@example.com'],
    code: 1,
    message: /^strato: account ghost@example.com does not exist$/,
  },
  { args: ['domain', 'add', 'EXAMPLE.com'], code: 1, message: /^strato: domain example.com already exists$/ },
  {
    args: ['domain', 'show', 'nope.example'],
    code: 1,
    message: /^strato: domain nope.example does not exist$/,
  },
  {
    args: ['domain', 'remove', 'example.com'],
    code: 1,
    message:
      /^strato: domain example.com still has 1 account\(s\), alias\(es\) or forwarder\(s\); remove them first or use --force$/,
  },
  {
    args: ['domain', 'set', 'nope.example', 'Enabled', 'false'],
    code: 1,
    message: /^strato: domain nope.example does not exist$/,
  },
  {
    args: ['account', 'add', 'carol@unknown.example', '--password', 'x'],
    code: 1,
    message: /^strato: domain unknown.example does not exist$/,
  },
  {
    args: ['account', 'add', 'alice@example.com'],
    code: 1,
    message: /^strato: account alice@example.com already exists$/,
  },
  {
    args: ['account', 'show', 'ghost@example.com'],
    code: 1,
    message: /^strato: account ghost@example.com does not exist$/,
  },
  {
    args: ['account', 'remove', 'ghost@example.com'],
    code: 1,
    message: /^strato: account ghost@example.com does not exist$/,
  },
  {
    args: ['account', 'set', 'ghost@example.com', 'Enabled', 'false'],
    code: 1,
    message: /^strato: account ghost@example.com does not exist$/,
  },
  {
    args: ['account', 'list', 'nope.example'],
    code: 1,
    message: /^strato: domain nope.example does not exist$/,
  },
  {
    args: ['alias', 'add', 'info@example.com', 'ghost@example.com'],
    code: 1,
    message: /^strato: account ghost@example.com does not exist$/,
  },
  {
    args: ['alias', 'add', 'alice@example.com', 'alice@example.com'],
    code: 1,
    message: /^strato: account alice@example.com already exists$/,
  },
  {
    args: ['alias', 'remove', 'alice@example.com'],
    code: 1,
    message: /^strato: alias alice@example.com does not exist \(it is an account\)$/,
  },
  {
    args: ['forwarder', 'add', 'fw@nope.example', 'a@b.example'],
    code: 1,
    message: /^strato: domain nope.example does not exist$/,
  },
  {
    args: ['forwarder', 'remove', 'nobody@example.com'],
    code: 1,
    message: /^strato: forwarder nobody@example.com does not exist$/,
  },
  {
    args: ['queue', 'show', '01JD0Q5Z8X3V7K2M4N6P'],
    code: 1,
    message: /^strato: queue job 01JD0Q5Z8X3V7K2M4N6P not found/,
  },
];

describe('strato on bad input', () => {
  it('exits 2 or 1 with one line naming the problem, nothing on stdout and no stack trace', async () => {
    const results = await Promise.all(
      CASES.map(async (c) => ({
        c,
        r: await strato(data.dir, c.args, c.input !== undefined ? { input: c.input } : {}),
      })),
    );
    for (const { c, r } of results) {
      const what = `strato ${c.args.join(' ')}`;
      expect({ what, code: r.code, stdout: r.stdout }).toEqual({ what, code: c.code, stdout: '' });
      expect(r.stderr.endsWith('\n'), what).toBe(true);
      expect(r.stderr.trimEnd().split('\n'), what).toHaveLength(1);
      expect(r.stderr.trimEnd(), what).toMatch(c.message);
      expect(hasStackTrace(r.stderr), what).toBe(false);
    }
  });

  it('reports an unexpected failure as "strato: <message>" with exit 1; the stack only with STRATO_DEBUG=1', async () => {
    const notADir = new URL('../../package.json', import.meta.url).pathname;
    const [plain, debug] = await Promise.all([
      strato(notADir, ['domain', 'list']),
      strato(notADir, ['domain', 'list'], { env: { STRATO_DEBUG: '1' } }),
    ]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/^strato: cannot open the data dir .*package\.json: EEXIST[^\n]*\n$/);
    expect(hasStackTrace(plain.stderr)).toBe(false);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.trimEnd());
    expect(hasStackTrace(debug.stderr)).toBe(true);
  });
});

describe('strato --help', () => {
  it('documents commands, global options, examples and exit codes', async () => {
    const [main, accountSet, queueList, queueBounce, mailboxRead, version] = await Promise.all([
      strato(data.dir, ['--help'], { noDataDir: true }),
      strato(data.dir, ['account', 'set', '--help'], { noDataDir: true }),
      strato(data.dir, ['queue', 'list', '--help'], { noDataDir: true }),
      strato(data.dir, ['queue', 'bounce', '--help'], { noDataDir: true }),
      strato(data.dir, ['mailbox', 'read', '--help'], { noDataDir: true }),
      strato(data.dir, ['--version'], { noDataDir: true }),
    ]);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^Usage: strato \[options\] \[command\]/);
    for (const cmd of ['domain', 'dkim', 'account', 'alias', 'forwarder', 'cluster', 'queue', 'mailbox']) {
      expect(main.stdout).toMatch(new RegExp(`^  ${cmd} `, 'm'));
    }
    expect(main.stdout).toContain('--data-dir <dir>');
    expect(main.stdout).toContain('$STRATO_DATA_DIR or ./.strato');
    expect(main.stdout).toContain('$ strato account show alice@example.com');
    expect(main.stdout).toContain(
      'Exit codes: 0 ok, 1 not found / conflict / failure, 2 bad usage or invalid input.',
    );
    expect(accountSet.code).toBe(0);
    expect(accountSet.stdout).toMatch(/^Usage: strato account set \[options\] <address> <setting> <value>/);
    expect(accountSet.stdout).toContain('"default" clears it');
    expect(queueList.code).toBe(0);
    expect(queueList.stdout).toContain('--status <status>');
    expect(queueList.stdout).toMatch(/ready, in-flight, delayed, dead, held,\s+deferred/);
    expect(main.stdout).toContain('$ strato queue bounce 01JD0Q5Z8X3V7K2M4N6P --reason "spam campaign"');
    expect(queueBounce.code).toBe(0);
    expect(queueBounce.stdout).toMatch(/^Usage: strato queue bounce \[options\] \[id\]/);
    expect(queueBounce.stdout).toContain('--reason <text>');
    expect(queueBounce.stdout).toContain('failed DSN (from <>)');
    expect(mailboxRead.code).toBe(0);
    expect(mailboxRead.stdout).toMatch(/^Usage: strato mailbox read \[options\] <account> <uid>/);
    expect(mailboxRead.stdout).toContain('--folder <folder>');
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
