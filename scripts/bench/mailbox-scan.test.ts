/**
 * The bench's mailbox scanner on real embedded storage: finds accepted messages by delivery key,
 * falls back to the Message-ID for a key without the queue id, counts duplicates and unrelated
 * mail, skips what was stored before its baseline, and reads each UID only once.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { MailboxScanner } from './mailbox-scan.ts';

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(async () => {
  await t.cleanup();
});

const store = (account: string, key: string, messageId: string) =>
  t.storage.mailboxes.append(
    { account, folder: 'INBOX', deliveryKey: key, epoch: 1 },
    Readable.from([Buffer.from(`Subject: x\r\nMessage-ID: <${messageId}>\r\n\r\nbody\r\n`)]),
  );

describe('MailboxScanner', () => {
  it('matches by delivery key, else by Message-ID, and counts duplicates and unrelated mail', async () => {
    const [a, b, c, d] = [newQueueId(), newQueueId(), newQueueId(), newQueueId()];
    await store('alice@x.test', `${newQueueId()}/INBOX`, 'before@bench'); // before the baseline
    const scanner = new MailboxScanner(t.storage.mailboxes);
    await scanner.baseline(['alice@x.test', 'bob@x.test']);
    scanner.expect([
      { id: a, messageId: 'a@bench', recipient: 'alice@x.test' },
      { id: b, messageId: 'b@bench', recipient: 'bob@x.test' },
      { id: c, messageId: 'c@bench', recipient: 'alice@x.test' },
      { id: d, messageId: 'd@bench', recipient: 'alice@x.test' },
    ]);
    await store('alice@x.test', `${a}/INBOX`, 'a@bench');
    await store('bob@x.test', 'SOMETHING-ELSE', 'b@bench');
    expect(await scanner.scan()).toBe(2);
    t.clock.advance(1000);
    await store('alice@x.test', 'other-key', 'a@bench'); // a second copy of a
    await store('alice@x.test', `${c}/INBOX`, 'c@bench');
    await store('alice@x.test', `${newQueueId()}/INBOX`, 'unrelated@elsewhere');
    expect(await scanner.scan()).toBe(3);
    expect(await scanner.scan()).toBe(3);

    expect(scanner.found.get(a)).toMatchObject({ account: 'alice@x.test', matchedBy: 'delivery-key' });
    expect(scanner.found.get(b)).toMatchObject({ account: 'bob@x.test', matchedBy: 'message-id' });
    expect(scanner.found.get(c)?.storedAt).toBe(t.clock.now());
    expect(scanner.found.has(d)).toBe(false);
    expect(scanner.summary).toEqual({
      byDeliveryKey: 2,
      byMessageId: 1,
      duplicates: 1,
      unmatched: 1,
      unreadable: 0,
    });
  });
});
