/**
 * MailboxStore contract: appends idempotent per (account, deliveryKey), UIDs increasing per
 * folder, epoch fencing (an append older than the newest epoch seen is refused), listing,
 * reading, folders and usage. The factory returns an empty store whose time comes from `clock`.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaleEpochError } from '../../core/ports/errors.ts';
import type { AppendRequest, MailboxStore } from '../../core/ports/mailbox-store.ts';
import { generatedBody, readAll, sha256 } from './helpers.ts';
import type { TestClock } from './test-clock.ts';

export interface MailboxStoreFixture {
  readonly mailboxes: MailboxStore;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

const body = (text: string): Readable => Readable.from([Buffer.from(text)]);
const req = (deliveryKey: string, extra: Partial<AppendRequest> = {}): AppendRequest => ({
  account: 'alice@example.com',
  folder: 'INBOX',
  deliveryKey,
  epoch: 1,
  ...extra,
});

export function mailboxStoreContract(name: string, make: () => Promise<MailboxStoreFixture>): void {
  describe(`MailboxStore contract: ${name}`, () => {
    let fx: MailboxStoreFixture;
    let mbx: MailboxStore;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      mbx = fx.mailboxes;
      clock = fx.clock;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    const text = async (folder: string, uid: number, account = 'alice@example.com') => {
      const stream = await mbx.read(account, folder, uid);
      if (!stream) throw new Error(`no message ${uid} in ${folder}`);
      return (await readAll(stream)).toString();
    };

    it('appends, lists and reads a message', async () => {
      const r = await mbx.append(
        req('job1:alice', { flags: ['\\Seen', 'Junk'] }),
        body('Subject: a\r\n\r\nhello\r\n'),
      );
      expect(r.duplicate).toBe(false);
      expect(r.uid).toBeGreaterThanOrEqual(1);
      expect(await mbx.list('alice@example.com', 'INBOX')).toEqual([
        {
          uid: r.uid,
          folder: 'INBOX',
          size: 21,
          flags: ['\\Seen', 'Junk'],
          internalDate: clock.now(),
          deliveryKey: 'job1:alice',
        },
      ]);
      expect(await text('INBOX', r.uid)).toBe('Subject: a\r\n\r\nhello\r\n');
      expect(await mbx.read('alice@example.com', 'INBOX', r.uid + 1)).toBeUndefined();
      expect(await mbx.read('alice@example.com', 'Other', r.uid)).toBeUndefined();
    });

    it('is idempotent per delivery key: a second append stores nothing and returns the first uid', async () => {
      const first = await mbx.append(req('job1:alice'), body('first'));
      clock.advance(1000);
      const again = await mbx.append(req('job1:alice'), body('second, longer body'));
      expect(again).toEqual({ uid: first.uid, duplicate: true });
      // Even when the retry would file it elsewhere.
      expect(await mbx.append(req('job1:alice', { folder: 'Junk' }), body('x'))).toEqual({
        uid: first.uid,
        duplicate: true,
      });
      expect(await mbx.list('alice@example.com', 'INBOX')).toHaveLength(1);
      expect(await mbx.list('alice@example.com', 'Junk')).toHaveLength(0);
      expect(await text('INBOX', first.uid)).toBe('first');
      expect(await mbx.usage('alice@example.com')).toBe(5);
      // The same key for another account is another delivery.
      expect((await mbx.append(req('job1:alice', { account: 'bob@example.com' }), body('b'))).duplicate).toBe(
        false,
      );
    });

    it('stores one message when the same delivery races with itself', async () => {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => mbx.append(req('race:alice'), body('same message'))),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(new Set(results.map((r) => r.uid)).size).toBe(1);
      expect(await mbx.list('alice@example.com', 'INBOX')).toHaveLength(1);
    });

    it('allocates increasing UIDs per folder, also under concurrency', async () => {
      const uids: number[] = [];
      for (let i = 0; i < 3; i++) uids.push((await mbx.append(req(`seq${i}`), body(`m${i}`))).uid);
      expect(uids[1]).toBeGreaterThan(uids[0]!);
      expect(uids[2]).toBeGreaterThan(uids[1]!);
      const parallel = await Promise.all(
        Array.from({ length: 10 }, (_, i) => mbx.append(req(`par${i}`), body(`p${i}`))),
      );
      const all = [...uids, ...parallel.map((r) => r.uid)];
      expect(new Set(all).size).toBe(13);
      expect(Math.min(...parallel.map((r) => r.uid))).toBeGreaterThan(uids[2]!);
      const listed = (await mbx.list('alice@example.com', 'INBOX')).map((m) => m.uid);
      expect(listed).toEqual([...all].sort((a, b) => a - b));
      for (const [i, r] of parallel.entries()) expect(await text('INBOX', r.uid)).toBe(`p${i}`);
      // Another folder has its own sequence.
      const other = await mbx.append(req('other1', { folder: 'Archive' }), body('o'));
      expect(other.uid).toBeGreaterThanOrEqual(1);
      expect(await mbx.folders('alice@example.com')).toEqual(['Archive', 'INBOX']);
    });

    it('refuses an append with an epoch older than one it has seen', async () => {
      await mbx.append(req('e1', { epoch: 5 }), body('a'));
      const err = await mbx.append(req('e2', { epoch: 4 }), body('b')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaleEpochError);
      expect(err).toMatchObject({ account: 'alice@example.com', epoch: 4, current: 5 });
      // Not even a duplicate answer goes to a fenced writer.
      await expect(mbx.append(req('e1', { epoch: 4 }), body('a'))).rejects.toBeInstanceOf(StaleEpochError);
      await mbx.append(req('e3', { epoch: 5 }), body('c'));
      await mbx.append(req('e4', { epoch: 6 }), body('d'));
      await expect(mbx.append(req('e5', { epoch: 5 }), body('e'))).rejects.toBeInstanceOf(StaleEpochError);
      expect((await mbx.list('alice@example.com', 'INBOX')).map((m) => m.deliveryKey)).toEqual([
        'e1',
        'e3',
        'e4',
      ]);
      // Epochs are per account.
      await mbx.append(req('x1', { account: 'bob@example.com', epoch: 1 }), body('x'));
    });

    it('reports usage as the bytes stored per account across folders', async () => {
      expect(await mbx.usage('alice@example.com')).toBe(0);
      await mbx.append(req('u1'), body('12345'));
      await mbx.append(req('u2', { folder: 'Sent' }), body('1234567890'));
      await mbx.append(req('u3', { account: 'bob@example.com' }), body('123'));
      expect(await mbx.usage('alice@example.com')).toBe(15);
      expect(await mbx.usage('bob@example.com')).toBe(3);
    });

    it('stores a large streamed body intact', { timeout: 30_000 }, async () => {
      const big = generatedBody(8 * 1024 * 1024, { chunk: 16 * 1024 });
      const r = await mbx.append(req('big'), big.source);
      expect((await mbx.list('alice@example.com', 'INBOX'))[0]?.size).toBe(8 * 1024 * 1024);
      const stream = await mbx.read('alice@example.com', 'INBOX', r.uid);
      expect(sha256(await readAll(stream!))).toBe(big.sha256);
    });

    it('stores nothing when the body source fails', async () => {
      const bad = generatedBody(200_000, { failAfter: 100_000 });
      await expect(mbx.append(req('bad'), bad.source)).rejects.toThrow('source failed on purpose');
      expect(await mbx.list('alice@example.com', 'INBOX')).toEqual([]);
      expect(await mbx.usage('alice@example.com')).toBe(0);
      // The key is still free for the retry.
      expect((await mbx.append(req('bad'), body('ok'))).duplicate).toBe(false);
    });

    it('refuses folder names that could escape the mailbox', async () => {
      for (const folder of ['../../etc', '..', '.', 'a/../../b', '', 'x\u0000y']) {
        await expect(mbx.append(req(`f-${folder}`, { folder }), body('x'))).rejects.toThrow();
      }
      expect(await mbx.folders('alice@example.com')).toEqual([]);
    });
  });
}
