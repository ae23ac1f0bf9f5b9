/**
 * The queue API on real embedded storage: list with filters and a cursor, depth, one job,
 * retry / bounce / delete, bulk with a dry run, holds and their release, dead letters and redrive;
 * a domain administrator sees and acts on their domains' jobs only; refusals: 400 naming the
 * field, 404 unknown job, 409 not held, 403 out of scope or without the CSRF token, 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newQueueId } from '../../../../core/util/ids.ts';
import { type OpsHarness, opsHarness } from './ops-test-support.ts';

let h: OpsHarness;
beforeAll(async () => {
  h = await opsHarness();
});
afterAll(async () => h?.close());

const ids = (reply: { json(): { jobs: { job: { id: string } }[] } }) =>
  reply.json().jobs.map((j) => j.job.id);

describe('list, depth and one job', () => {
  it('lists by filter and scope, pages with the cursor, and shows a job with its headers', async () => {
    const j1 = await h.enqueue('x@a.example', ['y@remote.example']);
    const j2 = await h.enqueue('x@b.example', ['y@remote.example']);
    const j3 = await h.enqueue('x@remote.example', ['z@a.example']);
    const root = await h.as('root');
    const all = await root.get('/api/v1/queue');
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual(expect.arrayContaining([j1.id, j2.id, j3.id]));
    expect(ids(await root.get('/api/v1/queue?domain=a.example'))).toEqual([j3.id]);
    expect(ids(await root.get('/api/v1/queue?sender=x%40b.example'))).toEqual([j2.id]);
    const page1 = await root.get('/api/v1/queue?limit=1&state=ready');
    expect(ids(page1)).toHaveLength(1);
    const page2 = await root.get(`/api/v1/queue?limit=1&state=ready&cursor=${page1.json().nextCursor}`);
    expect(ids(page2)[0]).not.toBe(ids(page1)[0]);
    const bad = await root.get('/api/v1/queue?state=sleeping');
    expect([bad.status, bad.json().field]).toEqual([400, 'state']);
    expect((await root.get('/api/v1/queue?cursor=zzz')).json().field).toBe('cursor');
    const depth = await root.get('/api/v1/queue/depth');
    expect(depth.json().total).toBeGreaterThanOrEqual(3);
    const one = await root.get(`/api/v1/queue/jobs/${j1.id.toLowerCase()}`);
    expect(one.json()).toMatchObject({
      job: { id: j1.id },
      headers: expect.arrayContaining([{ name: 'From', value: 'x@a.example' }]),
    });
    expect((await root.get(`/api/v1/queue/jobs/${newQueueId(Date.now())}`)).status).toBe(404);
    expect((await root.get('/api/v1/queue/jobs/nope')).json().field).toBe('id');

    const dora = await h.as('dora');
    expect(ids(await dora.get('/api/v1/queue'))).toEqual(expect.arrayContaining([j1.id, j3.id]));
    expect(ids(await dora.get('/api/v1/queue'))).not.toContain(j2.id);
    expect((await dora.get(`/api/v1/queue/jobs/${j2.id}`)).status).toBe(403);
    expect((await dora.get('/api/v1/queue/depth')).status).toBe(403);
    expect((await h.srv.client().send('GET', '/api/v1/queue')).status).toBe(401);
  });
});

describe('actions on one job', () => {
  it('retries, bounces and deletes; refuses out of scope, unknown ids and missing CSRF', async () => {
    const root = await h.as('root');
    const dora = await h.as('dora');
    const mine = await h.enqueue('x@a.example', ['y@remote.example']);
    const theirs = await h.enqueue('x@b.example', ['y@remote.example']);
    expect((await dora.send('POST', `/api/v1/queue/jobs/${theirs.id}/retry`)).status).toBe(403);
    expect((await dora.send('DELETE', `/api/v1/queue/jobs/${theirs.id}`)).status).toBe(403);
    const retried = await dora.send('POST', `/api/v1/queue/jobs/${mine.id}/retry`);
    expect(retried.json()).toMatchObject({ id: mine.id, status: 'ready' });
    const badReason = await root.send('POST', `/api/v1/queue/jobs/${mine.id}/bounce`, {
      reason: 'two\nlines',
    });
    expect([badReason.status, badReason.json().field]).toEqual([400, 'reason']);
    const bounced = await root.send('POST', `/api/v1/queue/jobs/${mine.id}/bounce`, {
      reason: 'operator says no',
    });
    expect(bounced.json()).toMatchObject({ id: mine.id, bounced: true, reportTo: 'x@a.example' });
    expect((await root.send('POST', `/api/v1/queue/jobs/${mine.id}/retry`)).status).toBe(404);
    const c = h.srv.client();
    await c.login('root', 'root-password');
    expect((await c.send('DELETE', `/api/v1/queue/jobs/${theirs.id}`)).status).toBe(403);
    const deleted = await root.send('DELETE', `/api/v1/queue/jobs/${theirs.id}`);
    expect(deleted.json()).toMatchObject({ id: theirs.id, deleted: true });
    expect((await root.send('DELETE', `/api/v1/queue/jobs/${theirs.id}`)).status).toBe(404);
    const audit = (await root.get('/api/v1/audit')).json().items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['queue.retry', 'queue.bounce', 'queue.delete']));
  });

  it('answers 409 for a job being delivered right now', async () => {
    const job = await h.enqueue('x@c.example', ['y@remote.example']);
    const leased = await h.storage.queue.receive({ max: 100, visibilitySeconds: 60 });
    expect(leased.map((l) => l.job.id)).toContain(job.id);
    const root = await h.as('root');
    expect((await root.send('DELETE', `/api/v1/queue/jobs/${job.id}`)).status).toBe(409);
  });
});

describe('bulk, holds and dead letters', () => {
  it('counts first with a dry run, then acts; names bad filter fields', async () => {
    const root = await h.as('root');
    const j = await h.enqueue('bulk@d.example', ['y@remote.example']);
    const dry = await root.send('POST', '/api/v1/queue/bulk', {
      action: 'hold',
      filter: { sender: 'bulk@d.example' },
      dryRun: true,
    });
    expect(dry.json()).toMatchObject({ dryRun: true, matched: [j.id] });
    expect((await h.storage.queue.get(j.id))?.status).toBe('ready');
    const held = await root.send('POST', '/api/v1/queue/bulk', {
      action: 'hold',
      filter: { sender: 'bulk@d.example' },
    });
    expect(held.json()).toMatchObject({ dryRun: false, done: [j.id] });
    expect((await h.storage.queue.get(j.id))?.status).toBe('held');
    const released = await root.send('POST', '/api/v1/queue/bulk', {
      action: 'release',
      filter: { sender: 'bulk@d.example' },
    });
    expect(released.json().done).toEqual([j.id]);
    const empty = await root.send('POST', '/api/v1/queue/bulk', { action: 'retry', filter: {} });
    expect([empty.status, empty.json().field]).toEqual([400, 'filter']);
    const badField = await root.send('POST', '/api/v1/queue/bulk', {
      action: 'retry',
      filter: { colour: 'red' },
    });
    expect(badField.status).toBe(400);
    const badAction = await root.send('POST', '/api/v1/queue/bulk', {
      action: 'explode',
      filter: { domain: 'x' },
    });
    expect([badAction.status, badAction.json().field]).toEqual([400, 'action']);
  });

  it('holds and releases a domain (409 when not held; 403 for another domain), lists holds in scope', async () => {
    const root = await h.as('root');
    const dora = await h.as('dora');
    const j = await h.enqueue('x@remote.example', ['u@a.example']);
    const dry = await dora.send('POST', '/api/v1/queue/holds', {
      kind: 'domain',
      value: 'a.example',
      dryRun: true,
    });
    expect(dry.json().matched).toContain(j.id);
    const held = await dora.send('POST', '/api/v1/queue/holds', {
      kind: 'domain',
      value: 'a.example',
      reason: 'migration',
    });
    expect(held.status, held.text).toBe(200);
    expect((await h.storage.queue.get(j.id))?.status).toBe('held');
    expect(
      (await dora.send('POST', '/api/v1/queue/holds', { kind: 'domain', value: 'b.example' })).status,
    ).toBe(403);
    await root.send('POST', '/api/v1/queue/holds', { kind: 'domain', value: 'b.example' });
    expect((await dora.get('/api/v1/queue/holds')).json().holds).toEqual([
      expect.objectContaining({ kind: 'domain', value: 'a.example', reason: 'migration' }),
    ]);
    expect((await root.get('/api/v1/queue/holds')).json().holds).toHaveLength(2);
    const badKind = await root.send('POST', '/api/v1/queue/holds', { kind: 'planet', value: 'x' });
    expect([badKind.status, badKind.json().field]).toEqual([400, 'kind']);
    const badValue = await root.send('POST', '/api/v1/queue/holds', { kind: 'account', value: 'nope' });
    expect([badValue.status, badValue.json().field]).toEqual([400, 'value']);
    const rel = await dora.send('POST', '/api/v1/queue/holds/release', {
      kind: 'domain',
      value: 'a.example',
    });
    expect(rel.json()).toMatchObject({ dryRun: false, released: expect.arrayContaining([j.id]) });
    expect(
      (await dora.send('POST', '/api/v1/queue/holds/release', { kind: 'domain', value: 'a.example' })).status,
    ).toBe(409);
    await root.send('POST', '/api/v1/queue/holds/release', { kind: 'domain', value: 'b.example' });
  });

  it('lists dead letters and redrives them (dry run first; unknown id 404; ids or all)', async () => {
    const root = await h.as('root');
    const j = await h.enqueue('dead@e.example', ['y@remote.example']);
    // Receive it past the queue's maxReceiveCount: it goes dead.
    for (let i = 0; i < 50 && (await h.storage.queue.get(j.id))?.status !== 'dead'; i++) {
      await h.storage.queue.receive({ max: 100, visibilitySeconds: 0 });
    }
    expect((await h.storage.queue.get(j.id))?.status).toBe('dead');
    const list = await root.get('/api/v1/queue/dead');
    expect(list.status).toBe(200);
    expect(list.json().jobs.map((v: { job: { id: string } }) => v.job.id)).toContain(j.id);
    const unknown = await root.send('POST', '/api/v1/queue/dead/redrive', { ids: [newQueueId(Date.now())] });
    expect(unknown.status).toBe(404);
    const neither = await root.send('POST', '/api/v1/queue/dead/redrive', {});
    expect([neither.status, neither.json().field]).toEqual([400, 'ids']);
    const dry = await root.send('POST', '/api/v1/queue/dead/redrive', { ids: [j.id], dryRun: true });
    expect(dry.json()).toMatchObject({ action: 'redrive', dryRun: true, matched: [j.id] });
    expect((await h.storage.queue.get(j.id))?.status).toBe('dead');
    const redriven = await root.send('POST', '/api/v1/queue/dead/redrive', { all: true });
    expect(redriven.status).toBe(200);
    expect(redriven.json().done).toContain(j.id);
  });
});
