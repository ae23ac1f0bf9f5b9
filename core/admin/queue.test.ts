/**
 * The queue use cases on real embedded storage: listing with filter, scope, limit and cursor;
 * one job with its headers; retry, bounce and delete with their refusals; bulk actions with a dry
 * run; holds and dead letters, each within a domain administrator's scope.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import { newQueueId } from '../util/ids.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundAdminError } from './errors.ts';
import {
  bounceQueueJob,
  bulkQueueAction,
  deleteQueueJob,
  listQueue,
  type QueueDeps,
  QueueJobConflictError,
  queueDepth,
  retryQueueJob,
  showQueueJob,
} from './queue.ts';
import { holdQueue, listDeadLetters, listHolds, redriveDeadLetters, releaseQueue } from './queue-holds.ts';

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

async function setup() {
  t = await tempStorage({ maxReceiveCount: 1 });
  const { storage, clock } = t;
  const deps: QueueDeps & typeof storage = { ...storage, clock, hostname: 'mx.test' };
  const enqueue = async (from: string, to: string[], body = true): Promise<QueueJob> => {
    clock.advance(1000);
    const id = newQueueId(clock.now());
    const text = `From: ${from}\r\nSubject: test ${id}\r\n\r\nHello\r\n`;
    const ref = body
      ? await storage.messages.put(id, Readable.from([Buffer.from(text)]))
      : { key: id, size: 1 };
    const job: QueueJob = {
      id,
      source: 'SMTP',
      createdAt: clock.now(),
      body: ref,
      envelope: {
        mailFrom: from,
        recipients: to.map((address) => ({
          address,
          original: address,
          state: 'pending' as const,
          attempts: 0,
        })),
      },
      attempts: 0,
    };
    await storage.queue.enqueue([job]);
    return job;
  };
  return { deps, enqueue, storage, clock };
}

const a = { domains: ['a.example'] };

describe('listQueue / showQueueJob / queueDepth', () => {
  it('lists oldest first by filter and scope, pages with a cursor, and shows one job with headers', async () => {
    const { deps, enqueue } = await setup();
    const j1 = await enqueue('x@a.example', ['y@remote.example']);
    const j2 = await enqueue('x@remote.example', ['y@a.example']);
    const j3 = await enqueue('x@b.example', ['y@remote.example']);
    expect((await listQueue(deps)).jobs.map((v) => v.job.id)).toEqual([j1.id, j2.id, j3.id]);
    expect((await listQueue(deps, a)).jobs.map((v) => v.job.id)).toEqual([j1.id, j2.id]);
    expect((await listQueue(deps, { filter: { sender: '@b.example' } })).jobs.map((v) => v.job.id)).toEqual([
      j3.id,
    ]);
    const first = await listQueue(deps, { limit: 2 });
    expect(first.jobs.map((v) => v.job.id)).toEqual([j1.id, j2.id]);
    const second = await listQueue(deps, { limit: 2, cursor: first.nextCursor! });
    expect(second).toMatchObject({ jobs: [{ job: { id: j3.id } }], nextCursor: null });

    const shown = await showQueueJob(deps, j1.id.toLowerCase(), a);
    expect(shown.headers).toContainEqual({ name: 'Subject', value: `test ${j1.id}` });
    expect(shown.headerText).toContain('From: x@a.example');
    expect(shown.nextAttemptAt).toBeTypeOf('number');
    expect((await queueDepth(deps)).total).toBe(3);
  });

  it('refuses bad input, unknown jobs and what is out of scope', async () => {
    const { deps, enqueue } = await setup();
    const j3 = await enqueue('x@b.example', ['y@remote.example']);
    await expect(listQueue(deps, { limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(listQueue(deps, { cursor: 'nope' })).rejects.toMatchObject({ field: 'cursor' });
    await expect(listQueue(deps, { filter: { state: 'lost' } as never })).rejects.toMatchObject({
      field: 'filter.state',
    });
    await expect(showQueueJob(deps, 'short')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(showQueueJob(deps, newQueueId(1))).rejects.toBeInstanceOf(NotFoundAdminError);
    await expect(showQueueJob(deps, j3.id, a)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(queueDepth(deps, a)).rejects.toBeInstanceOf(ForbiddenError);
  });
});

describe('retry / bounce / delete', () => {
  it('acts on one job and refuses jobs in flight, out of scope or without a body to bounce', async () => {
    const { deps, enqueue, storage } = await setup();
    const j1 = await enqueue('x@a.example', ['y@remote.example']);
    const j2 = await enqueue('x@a.example', ['z@remote.example'], false);
    const j3 = await enqueue('x@b.example', ['y@remote.example']);
    expect(await retryQueueJob(deps, j1.id, a)).toEqual({
      id: j1.id,
      status: 'ready',
      previousStatus: 'ready',
    });
    await expect(retryQueueJob(deps, j3.id, a)).rejects.toBeInstanceOf(ForbiddenError);
    const bounced = await bounceQueueJob(deps, j2.id, undefined, a).catch((e) => e);
    expect(bounced).toBeInstanceOf(QueueJobConflictError);
    expect(bounced.reason).toBe('body-missing');
    await expect(bounceQueueJob(deps, j1.id, 'bad\nreason')).rejects.toMatchObject({ field: 'reason' });
    expect(await bounceQueueJob(deps, j1.id, 'spam', a)).toMatchObject({
      id: j1.id,
      bounced: true,
      reportTo: 'x@a.example',
    });

    await storage.queue.receive({ max: 10, visibilitySeconds: 60, waitMs: 0 });
    const inFlight = await deleteQueueJob(deps, j3.id).catch((e) => e);
    expect(inFlight).toBeInstanceOf(ConflictError);
    expect(inFlight.reason).toBe('in-flight');
    await expect(deleteQueueJob(deps, j1.id)).rejects.toBeInstanceOf(NotFoundAdminError);
  });

  it('runs bulk actions within the scope, with a dry run first, and refuses an empty filter', async () => {
    const { deps, enqueue } = await setup();
    const j1 = await enqueue('x@remote.example', ['y@a.example']);
    await enqueue('x@remote.example', ['y@b.example']);
    await expect(bulkQueueAction(deps, 'delete', { filter: {} })).rejects.toMatchObject({ field: 'filter' });
    const dry = await bulkQueueAction(deps, 'delete', {
      filter: { sender: 'x@remote.example' },
      dryRun: true,
      ...a,
    });
    expect(dry).toMatchObject({ dryRun: true, matched: [j1.id], done: [j1.id] });
    expect((await listQueue(deps)).jobs).toHaveLength(2);
    const done = await bulkQueueAction(deps, 'delete', { filter: { sender: 'x@remote.example' }, ...a });
    expect(done.done).toEqual([j1.id]);
    expect((await listQueue(deps)).jobs).toHaveLength(1);
  });
});

describe('holds and dead letters', () => {
  it('holds and releases a domain, refusing another domain and a release of what is not held', async () => {
    const { deps, enqueue } = await setup();
    const j1 = await enqueue('x@remote.example', ['y@a.example']);
    await expect(holdQueue(deps, { kind: 'domain', value: 'b.example' }, a)).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    await expect(holdQueue(deps, { kind: 'domain', value: 'not a domain' })).rejects.toMatchObject({
      field: 'value',
    });
    const dry = await holdQueue(deps, { kind: 'domain', value: 'a.example' }, { ...a, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, done: [j1.id] });
    const held = await holdQueue(deps, { kind: 'domain', value: 'A.example' }, { ...a, reason: 'check' });
    expect(held).toMatchObject({ dryRun: false, added: true, parked: [j1.id] });
    expect((await listHolds(deps, a)).map((h) => h.value)).toEqual(['a.example']);
    expect(await listHolds(deps, { domains: ['b.example'] })).toEqual([]);
    expect(await releaseQueue(deps, { kind: 'domain', value: 'a.example' }, a)).toMatchObject({
      released: [j1.id],
    });
    await expect(releaseQueue(deps, { kind: 'domain', value: 'a.example' })).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('lists dead letters in scope and redrives them', async () => {
    const { deps, enqueue, storage, clock } = await setup();
    const j1 = await enqueue('x@a.example', ['y@remote.example']);
    const j2 = await enqueue('x@b.example', ['y@remote.example']);
    // maxReceiveCount 1: a lease that runs out makes the job dead.
    await storage.queue.receive({ max: 10, visibilitySeconds: 1, waitMs: 0 });
    clock.advance(5000);
    await storage.queue.receive({ max: 10, visibilitySeconds: 1, waitMs: 0 });
    expect((await listDeadLetters(deps)).map((d) => d.job.id)).toEqual([j1.id, j2.id]);
    expect((await listDeadLetters(deps, a)).map((d) => d.job.id)).toEqual([j1.id]);
    await expect(redriveDeadLetters(deps, {})).rejects.toMatchObject({ field: 'ids' });
    await expect(redriveDeadLetters(deps, { ids: [j2.id], ...a })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(redriveDeadLetters(deps, { ids: [newQueueId(1)] })).rejects.toBeInstanceOf(
      NotFoundAdminError,
    );
    expect(await redriveDeadLetters(deps, { all: true, ...a })).toMatchObject({ done: [j1.id] });
    expect((await listDeadLetters(deps)).map((d) => d.job.id)).toEqual([j2.id]);
  });
});
