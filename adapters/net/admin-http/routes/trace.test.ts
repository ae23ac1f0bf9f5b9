/**
 * The trace API on real embedded storage: by queue id, Message-ID and address; a domain
 * administrator sees messages of their domains only (another domain's reads as not found);
 * 404 for nothing found, 400 naming the field for a missing query or bad limit, 401 signed out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../../core/ports/message-history.ts';
import { newQueueId } from '../../../../core/util/ids.ts';
import { type OpsHarness, opsHarness } from './ops-test-support.ts';

let h: OpsHarness;
beforeAll(async () => {
  h = await opsHarness();
});
afterAll(async () => h?.close());

const by = { role: 'frontend' as const, id: 'fe-1@h' };

async function story(from: string, to: string, messageId: string): Promise<string> {
  const id = newQueueId(Date.now());
  const at = Date.now();
  await h.storage.history.append([
    {
      queueId: id,
      at,
      by,
      kind: 'accepted',
      messageId,
      mailFrom: from,
      recipients: [to],
      size: 10,
      source: 'SMTP',
    },
    { queueId: id, at: at + 1, by, kind: 'relayed', recipient: to, reply: '250 ok' },
    { queueId: id, at: at + 2, by, kind: 'done', attempts: 1 },
  ] as HistoryEvent[]);
  return id;
}

describe('GET /api/v1/trace', () => {
  it('finds a message by queue id, Message-ID and address, within the caller scope', async () => {
    const mine = await story('x@a.example', 'y@remote.example', '<m1@a.example>');
    const theirs = await story('x@b.example', 'y@remote.example', '<m2@b.example>');
    const root = await h.as('root');
    const byId = await root.get(`/api/v1/trace?q=${mine}`);
    expect(byId.status).toBe(200);
    expect(byId.json().messages).toEqual([
      expect.objectContaining({ queueId: mine, where: 'done', queued: false, events: expect.any(Array) }),
    ]);
    expect(byId.json().messages[0].events.map((e: { kind: string }) => e.kind)).toEqual([
      'accepted',
      'relayed',
      'done',
    ]);
    const byMid = await root.get(`/api/v1/trace?q=${encodeURIComponent('<m2@b.example>')}`);
    expect(byMid.json().messages[0].queueId).toBe(theirs);
    const byAddr = await root.get(`/api/v1/trace?q=${encodeURIComponent('y@remote.example')}`);
    expect(byAddr.json().messages.map((m: { queueId: string }) => m.queueId)).toEqual(
      expect.arrayContaining([mine, theirs]),
    );
    const dora = await h.as('dora');
    expect((await dora.get(`/api/v1/trace?q=${mine}`)).status).toBe(200);
    expect((await dora.get(`/api/v1/trace?q=${theirs}`)).status).toBe(404);
    const scoped = await dora.get(`/api/v1/trace?q=${encodeURIComponent('y@remote.example')}`);
    expect(scoped.json().messages.map((m: { queueId: string }) => m.queueId)).toEqual([mine]);
  });

  it('refuses a missing query, a bad limit, an unknown message and a caller without a session', async () => {
    const root = await h.as('root');
    const none = await root.get('/api/v1/trace');
    expect([none.status, none.json().field]).toEqual([400, 'q']);
    const badLimit = await root.get('/api/v1/trace?q=x@a.example&limit=0');
    expect([badLimit.status, badLimit.json().field]).toEqual([400, 'limit']);
    expect((await root.get(`/api/v1/trace?q=${newQueueId(Date.now())}`)).status).toBe(404);
    expect((await h.srv.client().send('GET', '/api/v1/trace?q=x')).status).toBe(401);
  });
});
