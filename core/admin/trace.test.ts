/** The trace use case on real embedded storage: by queue id, Message-ID and address, scope and refusals. */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import type { HistoryEvent } from '../ports/message-history.ts';
import { newQueueId } from '../util/ids.ts';
import { InvalidInputError, NotFoundAdminError } from './errors.ts';
import { traceMessage } from './trace.ts';

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

const by = { role: 'frontend' as const, id: 'fe-1@h' };

describe('traceMessage', () => {
  it('finds a message by queue id, Message-ID and address, says where it is, and keeps to the scope', async () => {
    t = await tempStorage();
    const id = newQueueId(t.clock.now());
    const events: HistoryEvent[] = [
      {
        queueId: id,
        at: t.clock.now(),
        by,
        kind: 'accepted',
        messageId: '<m1@a.example>',
        mailFrom: 'x@a.example',
        recipients: ['y@remote.example'],
        size: 10,
        source: 'SMTP',
      },
      {
        queueId: id,
        at: t.clock.now() + 1,
        by,
        kind: 'relayed',
        recipient: 'y@remote.example',
        reply: '250 ok',
      },
      { queueId: id, at: t.clock.now() + 2, by, kind: 'done', attempts: 1 },
    ] as HistoryEvent[];
    await t.storage.history.append(events);
    const byId = await traceMessage(t.storage, id.toLowerCase());
    expect(byId.messages).toMatchObject([{ queueId: id, where: 'done', queued: false, queue: null }]);
    expect(byId.messages[0]?.events.map((e) => e.kind)).toEqual(['accepted', 'relayed', 'done']);
    expect((await traceMessage(t.storage, '<m1@a.example>')).messages).toHaveLength(1);
    expect(
      (await traceMessage(t.storage, 'y@remote.example', { domains: ['a.example'] })).messages,
    ).toHaveLength(1);
    await expect(traceMessage(t.storage, id, { domains: ['b.example'] })).rejects.toBeInstanceOf(
      NotFoundAdminError,
    );
    await expect(traceMessage(t.storage, id, { queuedOnly: true })).rejects.toThrow(
      `no queued message with history for ${id}`,
    );
    await expect(traceMessage(t.storage, id, { limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
