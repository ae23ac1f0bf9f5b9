/**
 * End-to-end tests of `strato mailbox folders|list|read` through the CLI in-process, on messages the
 * test appends directly with storage.mailboxes.append: alice has two INBOX messages (one with an
 * RFC 2047 Subject and a flag, one whose Subject tries a terminal escape) and one in "Lists/dev";
 * bob is an account without mail; info@ is an alias. Checks output, --json and exit codes.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { cliFor, strato, tempDataDir } from './run-cli.ts';

const data = tempDataDir();
const cli = cliFor(data.dir);

const MESSAGES = {
  first:
    'Received: from mx.example.net by backend-1; Sat, 1 Mar 2025 10:00:00 +0000\r\n' +
    'From: Sender <sender@example.net>\r\nTo: alice@example.com\r\nSubject: quarterly\r\n report\r\n' +
    'Message-ID: <m1@example.net>\r\n\r\nHello Alice,\r\ngrüße, the numbers.\r\n',
  second:
    'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= =?UTF-8?Q?_aus_K=C3=B6ln?=\r\n' +
    '\r\nBody two.\r\n',
  third: 'Subject: evil \x1b[31mred\r\n\r\nno From header\r\n',
  list: 'From: dev-list@lists.example.org\r\nSubject: [dev] release\r\n\r\nList mail.\r\n',
};

beforeAll(async () => {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    await storage.directory.addDomain({
      name: 'example.com',
      mailToUnknown: { action: 'reject' },
      defaults: {},
      createdAt: Date.now(),
    });
    for (const name of ['alice', 'bob']) {
      await storage.directory.addAccount({
        address: `${name}@example.com`,
        domain: 'example.com',
        name,
        settings: {},
        createdAt: Date.now(),
      });
    }
    await storage.directory.addAlias({ address: 'info@example.com', account: 'alice@example.com' });
    const append = (folder: string, key: string, text: string, flags?: string[]) =>
      storage.mailboxes.append(
        {
          account: 'alice@example.com',
          folder,
          deliveryKey: `${key}/${folder}`,
          epoch: 1,
          ...(flags ? { flags } : {}),
        },
        Readable.from([Buffer.from(text, 'utf8')]),
      );
    await append('INBOX', 'K1', MESSAGES.first);
    await append('INBOX', 'K2', MESSAGES.second, ['\\Seen']);
    await append('INBOX', 'K3', MESSAGES.third);
    await append('Lists/dev', 'K4', MESSAGES.list);
  } finally {
    await storage.close();
  }
});
afterAll(() => data.remove());

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('strato mailbox', () => {
  it('lists folders with counts and sizes, and a folder with UID, date, size, flags, From and Subject', async () => {
    const [folders, foldersJson, inbox, inboxJson, lists, upper] = await Promise.all([
      cli.ok(['mailbox', 'folders', 'Alice@Example.com']),
      cli.json<{ folder: string; messages: number; bytes: number }[]>([
        'mailbox',
        'folders',
        'alice@example.com',
      ]),
      cli.ok(['mailbox', 'list', 'alice@example.com']),
      cli.json<Record<string, unknown>[]>(['mailbox', 'list', 'alice@example.com', 'inbox']),
      cli.ok(['mailbox', 'list', 'alice@example.com', 'Lists/dev']),
      cli.ok(['mailbox', 'list', 'alice@example.com', 'INBOX']),
    ]);
    const inboxBytes = bytes(MESSAGES.first) + bytes(MESSAGES.second) + bytes(MESSAGES.third);
    expect(foldersJson).toEqual([
      { folder: 'INBOX', messages: 3, bytes: inboxBytes },
      { folder: 'Lists/dev', messages: 1, bytes: bytes(MESSAGES.list) },
    ]);
    expect(folders.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^FOLDER\s+MESSAGES\s+SIZE$/),
      expect.stringMatching(/^INBOX\s+3\s+\d+ B$/),
      expect.stringMatching(/^Lists\/dev\s+1\s+\d+ B$/),
    ]);

    const lines = inbox.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^UID\s+DATE\s+SIZE\s+FLAGS\s+FROM\s+SUBJECT$/);
    const date = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^1\\s+${date}\\s+${bytes(MESSAGES.first)} B\\s+-\\s+Sender <sender@example\\.net>\\s+quarterly report$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^2\\s+${date}\\s+${bytes(MESSAGES.second)} B\\s+\\\\Seen\\s+Jürgen <j@example\\.org>\\s+Grüße aus Köln$`,
        ),
      ),
      expect.stringMatching(new RegExp(`^3\\s+${date}\\s+\\d+ B\\s+-\\s+-\\s+evil \\?\\[31mred$`)),
    ]);
    expect(inbox).not.toContain('\x1b');
    expect(upper).toBe(inbox);

    expect(inboxJson).toHaveLength(3);
    expect(inboxJson[1]).toMatchObject({
      uid: 2,
      folder: 'INBOX',
      size: bytes(MESSAGES.second),
      flags: ['\\Seen'],
      deliveryKey: 'K2/INBOX',
      from: 'Jürgen <j@example.org>',
      subject: 'Grüße aus Köln',
      internalDate: expect.any(Number),
      date: expect.stringMatching(/Z$/),
    });
    expect(inboxJson[2]).toMatchObject({ uid: 3, from: null, subject: 'evil \x1b[31mred' });
    expect(lists).toMatch(/^1\s+\S+\s+\d+ B\s+-\s+dev-list@lists\.example\.org\s+\[dev\] release$/m);
  });

  it('prints a stored message byte for byte; --folder picks the folder', async () => {
    const [first, list] = await Promise.all([
      cli.ok(['mailbox', 'read', 'alice@example.com', '1']),
      cli.ok(['mailbox', 'read', 'alice@example.com', '1', '--folder', 'Lists/dev']),
    ]);
    expect(first).toBe(MESSAGES.first);
    expect(list).toBe(MESSAGES.list);
  });

  it('says so for an account without mail, and fails with one line for unknown accounts, folders and UIDs', async () => {
    const [bobList, bobFolders, ...failures] = await Promise.all([
      cli.ok(['mailbox', 'list', 'bob@example.com']),
      cli.ok(['mailbox', 'folders', 'bob@example.com']),
      strato(data.dir, ['mailbox', 'list', 'ghost@example.com']),
      strato(data.dir, ['mailbox', 'list', 'info@example.com']),
      strato(data.dir, ['mailbox', 'list', 'alice@example.com', 'Archive']),
      strato(data.dir, ['mailbox', 'read', 'alice@example.com', '99']),
      strato(data.dir, ['mailbox', 'read', 'bob@example.com', '1', '--folder', 'Sent']),
      strato(data.dir, ['mailbox', 'read', 'alice@example.com', 'one']),
      strato(data.dir, ['mailbox', 'folders', 'not-an-address']),
    ]);
    expect(bobList).toBe('INBOX of bob@example.com is empty\n');
    expect(bobFolders).toBe('no mail stored for bob@example.com yet\n');
    const expected: [number, string][] = [
      [1, 'strato: account ghost@example.com does not exist'],
      [1, 'strato: info@example.com is an alias of alice@example.com; give the account'],
      [
        1,
        'strato: folder "Archive" does not exist in the mailbox of alice@example.com (folders: INBOX, Lists/dev)',
      ],
      [1, 'strato: no message with UID 99 in INBOX of alice@example.com'],
      [1, 'strato: folder "Sent" does not exist in the mailbox of bob@example.com (folders: INBOX)'],
      [2, 'strato: invalid UID "one": expected a positive whole number'],
      [2, 'strato: invalid address "not-an-address": address must be local@domain'],
    ];
    expect(failures.map((r) => [r.code, r.stderr.trimEnd(), r.stdout])).toEqual(
      expected.map(([code, line]) => [code, line, '']),
    );
  });
});
