import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AccountRecord } from '../ports/directory.ts';
import { QueueFullError } from '../ports/errors.ts';
import { silentLogger } from '../ports/logger.ts';
import type { MailQueue, QueueJob } from '../ports/mail-queue.ts';
import type { BodyRef, MessageStore } from '../ports/message-store.ts';
import { BUILTIN_SETTINGS } from '../settings/settings.ts';
import { type AcceptRequest, acceptMessage } from './accept-message.ts';
import type { AcceptedRecipient, SessionFacts } from './envelope-checks.ts';

const QUEUE_ID = '01KB0000000000000000';

function fakeStore(mode: 'ok' | 'fail-early' | 'fail-late' = 'ok') {
  const bodies = new Map<string, Buffer>();
  const deleted: string[] = [];
  let consumed = 0;
  const store = {
    async put(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<BodyRef> {
      if (mode === 'fail-early') throw new Error('disk full');
      const chunks: Buffer[] = [];
      for await (const chunk of body) {
        chunks.push(Buffer.from(chunk));
        consumed += chunk.length;
      }
      if (mode === 'fail-late') throw new Error('fsync failed');
      const data = Buffer.concat(chunks);
      bodies.set(key, data);
      return { key, size: data.length };
    },
    async delete(ref: BodyRef | string) {
      const key = typeof ref === 'string' ? ref : ref.key;
      deleted.push(key);
      bodies.delete(key);
    },
  } as unknown as MessageStore;
  return { store, bodies, deleted, consumed: () => consumed };
}

function fakeQueue(error?: Error) {
  const jobs: QueueJob[] = [];
  const queue = {
    async enqueue(batch: readonly QueueJob[]) {
      if (error) throw error;
      jobs.push(...structuredClone(batch));
    },
  } as unknown as MailQueue;
  return { queue, jobs };
}

const session: SessionFacts = {
  ip: '::ffff:192.0.2.7',
  helo: 'client.example',
  esmtp: true,
  tls: false,
  requireAuth: false,
};
const account = (address: string): AccountRecord => ({
  address,
  domain: 'example.com',
  name: address.split('@')[0]!,
  settings: {},
  createdAt: 0,
});
const local = (address: string, max: number | null = null, original = address): AcceptedRecipient => ({
  original,
  route: {
    kind: 'local',
    address,
    account: account(address),
    settings: { ...BUILTIN_SETTINGS, MaxMessageSize: max },
  },
});

function request(over: Partial<AcceptRequest> = {}): AcceptRequest {
  return {
    session,
    hostname: 'mx.test',
    frontendId: 'fe-1',
    mailFrom: 'sender@elsewhere.org',
    recipients: [local('alice@example.com')],
    maxMessageSize: 1000,
    ...over,
  };
}

/** A DATA stream that writes `parts` and reports when it was fully read. */
function dataStream(parts: (string | Buffer)[]) {
  const s = new PassThrough();
  let ended = false;
  s.on('end', () => {
    ended = true;
  });
  setImmediate(() => {
    for (const p of parts) s.write(p);
    s.end();
  });
  return { s, ended: () => ended };
}

function deps(store: MessageStore, queue: MailQueue) {
  return {
    messages: store,
    queue,
    clock: { now: () => Date.UTC(2025, 10, 27, 9, 5, 3) },
    logger: silentLogger,
    newId: () => QUEUE_ID,
  };
}

describe('acceptMessage', () => {
  it('stores the normalised body with a Received header and enqueues one job', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const data = dataStream(['Subject: hi\n\nline1\r', '\nline2\rend']);
    const result = await acceptMessage(
      deps(st.store, q.queue),
      request({
        recipients: [
          {
            ...local('alice@example.com', null, 'ally@example.com'),
            notify: ['SUCCESS'],
            orcpt: 'rfc822;ally@example.com',
          },
          local('alice@example.com'),
          { original: 'x@elsewhere.org', route: { kind: 'external', address: 'x@elsewhere.org' } },
          {
            original: 'u@example.com',
            route: { kind: 'bounce', reply: { code: 550, enhanced: '5.1.1', text: 'no such user' } },
          },
          { original: 'd@discard.test', route: { kind: 'discard' } },
        ],
        ret: 'HDRS',
        envid: 'ENV1',
      }),
      data.s,
    );
    const body = 'Subject: hi\r\n\r\nline1\r\nline2\r\nend'; // no line end added
    expect(result).toEqual({
      ok: true,
      queueId: QUEUE_ID,
      size: st.bodies.get(QUEUE_ID)!.length,
      recipients: 4,
      stored: true,
    });
    const stored = st.bodies.get(QUEUE_ID)!.toString();
    expect(stored).toBe(
      `Received: from client.example ([192.0.2.7])\r\n\tby mx.test (Strato) with ESMTP id ${QUEUE_ID};\r\n\tThu, 27 Nov 2025 09:05:03 +0000\r\n${body}`,
    );
    expect(q.jobs).toHaveLength(1);
    const job = q.jobs[0]!;
    expect(job).toMatchObject({
      id: QUEUE_ID,
      source: 'SMTP',
      attempts: 0,
      body: { key: QUEUE_ID, size: stored.length },
    });
    expect(job.envelope).toMatchObject({ mailFrom: 'sender@elsewhere.org', ret: 'HDRS', envid: 'ENV1' });
    expect(job.envelope.recipients.map((r) => [r.address, r.original, r.state])).toEqual([
      ['alice@example.com', 'ally@example.com', 'pending'], // the alias and the account are one delivery
      ['x@elsewhere.org', 'x@elsewhere.org', 'pending'],
      ['u@example.com', 'u@example.com', 'pending'], // accept-and-bounce: delivery will fail with 5.1.1
      ['d@discard.test', 'd@discard.test', 'discarded'],
    ]);
    expect(job.envelope.recipients[0]).toMatchObject({
      notify: ['SUCCESS'],
      orcpt: 'rfc822;ally@example.com',
    });
    expect(job.envelope.recipients[2]!.lastReply).toBeUndefined();
    expect(job.client).toEqual({
      ip: '::ffff:192.0.2.7',
      helo: 'client.example',
      tls: false,
      frontend: 'fe-1',
    });
  });

  it('names the single recipient and marks authenticated mail as SUBMIT', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const auth = { ...session, tls: true, authUser: 'alice@example.com', requireAuth: true };
    const result = await acceptMessage(
      deps(st.store, q.queue),
      request({ session: auth }),
      dataStream(['x\r\n']).s,
    );
    expect(result.ok).toBe(true);
    expect(st.bodies.get(QUEUE_ID)!.toString()).toContain(
      `with ESMTPSA id ${QUEUE_ID}\r\n\tfor <alice@example.com>; `,
    );
    expect(q.jobs[0]).toMatchObject({
      source: 'SUBMIT',
      client: { authUser: 'alice@example.com', tls: true },
    });
  });

  it('enqueues nothing when the body cannot be stored, and still drains DATA', async () => {
    for (const mode of ['fail-early', 'fail-late'] as const) {
      const st = fakeStore(mode);
      const q = fakeQueue();
      const data = dataStream(['a'.repeat(100), '\r\n']);
      const result = await acceptMessage(deps(st.store, q.queue), request(), data.s);
      expect(result).toMatchObject({ ok: false, reason: 'storage', reply: { code: 451, enhanced: '4.3.0' } });
      expect(q.jobs).toHaveLength(0);
      await new Promise((r) => setImmediate(r));
      expect(data.ended()).toBe(true);
    }
  });

  it('deletes the stored body when the enqueue fails', async () => {
    const st = fakeStore();
    const q = fakeQueue(new Error('database is locked'));
    const result = await acceptMessage(deps(st.store, q.queue), request(), dataStream(['hello\r\n']).s);
    expect(result).toMatchObject({ ok: false, reason: 'queue', reply: { code: 451, enhanced: '4.3.0' } });
    expect(st.deleted).toEqual([QUEUE_ID]);
    expect(st.bodies.size).toBe(0);
  });

  it('answers 452 4.3.1 when the queue is full', async () => {
    const st = fakeStore();
    const result = await acceptMessage(
      deps(st.store, fakeQueue(new QueueFullError(10)).queue),
      request(),
      dataStream(['x']).s,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'queue-full',
      reply: { code: 452, enhanced: '4.3.1' },
    });
    expect(st.deleted).toEqual([QUEUE_ID]);
  });

  it('stops storing at the size limit, answers 552 5.3.4 and drains the rest', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const chunk = Buffer.alloc(400, 'a');
    const data = dataStream(Array.from({ length: 50 }, () => chunk)); // 20 000 bytes, limit 1000
    const result = await acceptMessage(deps(st.store, q.queue), request(), data.s);
    expect(result).toMatchObject({ ok: false, reason: 'too-big', reply: { code: 552, enhanced: '5.3.4' } });
    expect(q.jobs).toHaveLength(0);
    expect(st.consumed()).toBeLessThan(1500); // the store saw no more than the limit plus a chunk
    await new Promise((r) => setImmediate(r));
    expect(data.ended()).toBe(true);
  });

  it('applies per-recipient size limits: 552 5.2.3 when all refuse, else queued for delivery to refuse', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const small = local('carol@example.com', 10);
    const all = await acceptMessage(
      deps(st.store, q.queue),
      request({ recipients: [small] }),
      dataStream(['x'.repeat(50)]).s,
    );
    expect(all).toMatchObject({ ok: false, reason: 'too-big', reply: { code: 552, enhanced: '5.2.3' } });
    const some = await acceptMessage(
      deps(st.store, q.queue),
      request({ recipients: [small, local('alice@example.com')] }),
      dataStream(['x'.repeat(50)]).s,
    );
    expect(some.ok).toBe(true);
    // The backend refuses carol (552 5.2.3) at delivery, which bounces through the DSN path.
    expect(q.jobs[0]!.envelope.recipients.map((r) => [r.address, r.state])).toEqual([
      ['carol@example.com', 'pending'],
      ['alice@example.com', 'pending'],
    ]);
  });

  it('refuses a message with more than 50 Received headers as a loop', async () => {
    const headers = (n: number) => `${'Received: from x by y; date\r\n'.repeat(n)}Subject: s\r\n\r\nbody\r\n`;
    const big = { maxMessageSize: 100_000 };
    const q = fakeQueue();
    const loop = await acceptMessage(
      deps(fakeStore().store, q.queue),
      request(big),
      dataStream([headers(51)]).s,
    );
    expect(loop).toMatchObject({ ok: false, reason: 'loop', reply: { code: 554, enhanced: '5.4.6' } });
    expect(q.jobs).toHaveLength(0);
    const fine = await acceptMessage(
      deps(fakeStore().store, q.queue),
      request(big),
      dataStream([headers(50)]).s,
    );
    expect(fine.ok).toBe(true);
  });

  it('fails (not hangs) when the client goes away in the middle of DATA', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const s = new PassThrough();
    setImmediate(() => {
      s.write('partial');
      setImmediate(() => s.destroy(new Error('Connection closed')));
    });
    const result = await acceptMessage(deps(st.store, q.queue), request(), s);
    expect(result).toMatchObject({ ok: false, reason: 'client-gone' });
    expect(q.jobs).toHaveLength(0);
  });

  it('stores nothing when every recipient is discarded', async () => {
    const st = fakeStore();
    const q = fakeQueue();
    const data = dataStream(['x\r\n']);
    const result = await acceptMessage(
      deps(st.store, q.queue),
      request({ recipients: [{ original: 'd@x.test', route: { kind: 'discard' } }] }),
      data.s,
    );
    expect(result).toMatchObject({ ok: true, stored: false });
    expect(st.bodies.size + q.jobs.length).toBe(0);
    expect(data.ended()).toBe(true);
  });
});
