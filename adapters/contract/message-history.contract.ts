/**
 * MessageHistory contract: a message's story in time order across writers and batches, lookups
 * by Message-ID (with or without angle brackets) and by address (sender or recipient, any case),
 * newest first, distinct and bounded, and retention (nothing is returned once it is past). The
 * factory returns an empty history whose time comes from `clock`, keeping events `retentionMs`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HistoryEvent, HistoryFact, MessageHistory } from '../../core/ports/message-history.ts';
import type { TestClock } from './test-clock.ts';

export interface MessageHistoryFixture {
  readonly history: MessageHistory;
  readonly clock: TestClock;
  readonly retentionMs: number;
  cleanup(): Promise<void>;
}

const FRONTEND = { role: 'frontend', id: 'fe-1' } as const;
const BACKEND = { role: 'backend', id: 'b1' } as const;

function accepted(queueId: string, at: number, over: Partial<HistoryFact> = {}): HistoryEvent {
  return {
    kind: 'accepted',
    queueId,
    at,
    by: FRONTEND,
    messageId: `<${queueId}@example.org>`,
    mailFrom: 'Sender@Example.org',
    recipients: ['alice@example.com', 'bob@example.com'],
    size: 1234,
    source: 'SMTP',
    client: { ip: '192.0.2.1', helo: 'mx.example.org' },
    frontend: 'fe-1',
    ...over,
  } as HistoryEvent;
}

export function messageHistoryContract(name: string, make: () => Promise<MessageHistoryFixture>): void {
  describe(`MessageHistory contract: ${name}`, () => {
    let fx: MessageHistoryFixture;
    let history: MessageHistory;
    let t0: number;
    beforeEach(async () => {
      fx = await make();
      history = fx.history;
      t0 = fx.clock.now();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('returns the story of one message in time order, whoever wrote it and in whatever batches', async () => {
      const id = '01JD0Q5Z8X3V7K2M4N6P';
      const deferred: HistoryEvent = {
        kind: 'deferred',
        queueId: id,
        at: t0 + 10,
        by: FRONTEND,
        recipient: 'alice@example.com',
        reply: '450 4.2.1 disabled',
        nextAttemptAt: t0 + 60_000,
      };
      const stored: HistoryEvent = {
        kind: 'stored',
        queueId: id,
        at: t0 + 20,
        by: BACKEND,
        recipient: 'alice@example.com',
        account: 'alice@example.com',
        folder: 'INBOX',
        backend: 'b1',
      };
      const other = accepted('01JD0Q5Z8X3V7K2M4N6Q', t0 + 5);
      // Written out of order, in two batches, with another message's event in between.
      await history.append([stored, other]);
      await history.append([accepted(id, t0), deferred]);
      const story = await history.story(id);
      expect(story.map((e) => e.kind)).toEqual(['accepted', 'deferred', 'stored']);
      expect(story[1]).toEqual(deferred);
      expect(story[2]).toEqual(stored);
      expect(await history.story('01JD0Q5Z8X3V7K2M4N6R')).toEqual([]);
    });

    it('keeps two events of one message at the same millisecond', async () => {
      const id = '01JD0Q5Z8X3V7K2M4N6P';
      const relayed = (recipient: string): HistoryEvent => ({
        kind: 'relayed',
        queueId: id,
        at: t0,
        by: FRONTEND,
        recipient,
      });
      await history.append([relayed('a@example.net'), relayed('b@example.net')]);
      const recipients = (await history.story(id)).map((e) => (e.kind === 'relayed' ? e.recipient : ''));
      expect(recipients.sort()).toEqual(['a@example.net', 'b@example.net']);
    });

    it('finds queue ids by Message-ID, with or without angle brackets', async () => {
      await history.append([accepted('01JD0Q5Z8X3V7K2M4N6P', t0, { messageId: '<same@example.org>' })]);
      await history.append([
        accepted('01JD0Q5Z8X3V7K2M4N70', t0 + 1000, { messageId: ' <same@example.org> ' }),
      ]);
      expect(await history.queueIdsByMessageId('<same@example.org>', 10)).toEqual([
        '01JD0Q5Z8X3V7K2M4N70',
        '01JD0Q5Z8X3V7K2M4N6P',
      ]);
      expect(await history.queueIdsByMessageId('same@example.org', 1)).toEqual(['01JD0Q5Z8X3V7K2M4N70']);
      expect(await history.queueIdsByMessageId('<other@example.org>', 10)).toEqual([]);
    });

    it('finds queue ids by sender or recipient, in any case, newest first, distinct and bounded', async () => {
      const ids = ['01JD0Q5Z8X3V7K2M4N61', '01JD0Q5Z8X3V7K2M4N62', '01JD0Q5Z8X3V7K2M4N63'];
      for (const [i, id] of ids.entries()) await history.append([accepted(id, t0 + i * 1000)]);
      // Another event of the first message adds no second lookup entry.
      await history.append([{ kind: 'done', queueId: ids[0]!, at: t0 + 5000, by: FRONTEND, attempts: 1 }]);
      expect(await history.queueIdsByAddress('ALICE@example.com', 10)).toEqual([...ids].reverse());
      expect(await history.queueIdsByAddress('sender@example.org', 2)).toEqual([ids[2], ids[1]]);
      expect(await history.queueIdsByAddress('nobody@example.com', 10)).toEqual([]);
    });

    it('returns nothing once an event is past its retention', async () => {
      const id = '01JD0Q5Z8X3V7K2M4N6P';
      await history.append([accepted(id, t0)]);
      fx.clock.advance(fx.retentionMs + 2000);
      expect(await history.story(id)).toEqual([]);
      expect(await history.queueIdsByAddress('alice@example.com', 10)).toEqual([]);
      expect(await history.queueIdsByMessageId(`<${id}@example.org>`, 10)).toEqual([]);
    });
  });
}
