/** MailboxStore contract on files + SQLite index, plus the on-disk layout and cross-handle use. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mailboxStoreContract } from '../contract/mailbox-store.contract.ts';
import { encodeName } from './mailbox-store.ts';
import { type TempStorage, tempStorage } from './test-support.ts';

mailboxStoreContract('embedded files + SQLite index', async () => {
  const t = await tempStorage();
  return { mailboxes: t.storage.mailboxes, clock: t.clock, cleanup: t.cleanup };
});

describe('FileMailboxStore (embedded specifics)', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const append = (deliveryKey: string, folder = 'INBOX', text = 'x') =>
    t.storage.mailboxes.append(
      { account: 'alice@example.com', folder, deliveryKey, epoch: 1 },
      Readable.from([Buffer.from(text)]),
    );

  it('encodes names into single safe path segments', () => {
    expect(encodeName('alice@example.com', 'account')).toBe('alice@example.com');
    expect(encodeName('Lists/dev', 'folder')).toBe('Lists%2Fdev');
    expect(encodeName('..', 'folder')).toBe('%2E.');
    expect(encodeName('Été', 'folder')).toBe('%C3%89t%C3%A9');
  });

  it('keeps <uid>.eml files per folder and no temp files, duplicates included', async () => {
    await append('k1');
    await append('k2', 'Lists/dev');
    await append('k1', 'INBOX', 'again');
    const root = join(t.dir, 'mailboxes');
    expect(await readdir(join(root, 'alice@example.com', 'INBOX'))).toEqual(['1.eml']);
    expect(await readdir(join(root, 'alice@example.com', 'Lists%2Fdev'))).toEqual(['1.eml']);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('sees appends made through another handle on the same data dir', async () => {
    const other = await t.reopen();
    await append('k1');
    const r = await other.mailboxes.append(
      { account: 'alice@example.com', folder: 'INBOX', deliveryKey: 'k1', epoch: 1 },
      Readable.from([Buffer.from('dup')]),
    );
    expect(r).toEqual({ uid: 1, duplicate: true });
    expect(
      (
        await other.mailboxes.append(
          { account: 'alice@example.com', folder: 'INBOX', deliveryKey: 'k2', epoch: 1 },
          Readable.from([Buffer.from('new')]),
        )
      ).uid,
    ).toBe(2);
  });
});
