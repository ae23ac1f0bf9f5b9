/**
 * The operations pages over real embedded storage: the Queue Processing panel (effective values,
 * each bad field's message next to it with the values kept and nothing saved, a valid save
 * redirecting with a flash), Frontends & Backends, Routing, the Queue page (scope, one job's
 * action, bulk with a dry-run count first, hold and release) and Trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsHarness, opsHarness } from '../routes/ops-test-support.ts';

let h: OpsHarness;
beforeAll(async () => {
  h = await opsHarness();
  await h.heartbeat('fe-1@h', { group: 'intake' });
  await h.heartbeat('fe-2@h', { group: 'relay', processing: false });
  await h.storage.backends.heartbeat({ id: 'b1', address: '127.0.0.1:1', kind: 'lmtp' }, 60_000);
});
afterAll(async () => h?.close());

const valid = {
  processingMode: 'default',
  groups: '',
  concurrency: '',
  generatedMail: '',
  retryFirst: '',
  retryMax: '',
  lifetime: '',
};

describe('Cluster → General: Queue Processing', () => {
  it('shows each setting in effect with its source and the frontends live state', async () => {
    const root = await h.as('root');
    const page = await root.get('/cluster/general');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h2 id="qp">Queue Processing</h2>');
    expect(page.text).toMatch(/In effect: <strong>all<\/strong> · default/);
    expect(page.text).toContain('name="fe:fe-1@h"');
    expect(page.text).toMatch(/<tr data-id="fe-2@h">.*<td class="processing">no<\/td>/);
    expect(page.text).toContain('<script src="/assets/frontends-live.js" defer></script>');
    const js = await h.srv.client().send('GET', '/assets/frontends-live.js');
    expect([
      js.status,
      js.text.includes('/api/v1/cluster/frontends') || js.text.includes('data-src'),
    ]).toEqual([200, true]);
    const dora = await h.as('dora');
    expect((await dora.get('/cluster/general')).status).toBe(403);
  });

  it('shows each bad field with its message, keeps the values and saves nothing', async () => {
    const root = await h.as('root');
    const before = await h.storage.control.getQueueSettings();
    const bad = await root.form('/cluster/general', { ...valid, concurrency: 'lots', lifetime: '600' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-concurrency"[^>]*value="lots"[^>]*aria-invalid="true"/);
    expect(bad.text).toContain('<p class="field-error" id="f-concurrency-error">');
    const retry = await root.form('/cluster/general', {
      ...valid,
      retryFirst: '900',
      retryMax: '60',
      lifetime: '600',
    });
    expect(retry.status).toBe(400);
    expect(retry.text).toMatch(/id="f-retryFirst-error">[^<]*firstSeconds must not exceed maxSeconds/);
    const none = await root.form('/cluster/general', { ...valid, processingMode: 'named' });
    expect(none.text).toContain('id="f-processing-error">Tick at least one frontend');
    const unknown = await root.form('/cluster/general', {
      ...valid,
      processingMode: 'named',
      groups: 'fe-9@x',
    });
    expect(unknown.text).toMatch(/id="f-processing-error">unknown frontend/);
    expect(await h.storage.control.getQueueSettings()).toEqual(before);
  });

  it('saves the named frontends and groups and redirects with a flash (POST-redirect-GET)', async () => {
    const root = await h.as('root');
    const saved = await root.form('/cluster/general', {
      ...valid,
      processingMode: 'named',
      'fe:fe-1@h': 'on',
      groups: 'relay',
      concurrency: '8',
      generatedMail: 'forward',
    });
    expect([saved.status, saved.headers.location]).toEqual([303, '/cluster/general']);
    expect(await h.storage.control.getQueueSettings()).toMatchObject({
      processing: ['fe-1@h', 'relay'],
      concurrency: 8,
      generatedMail: 'forward',
    });
    const page = await root.get('/cluster/general');
    expect(page.text).toContain('Queue processing saved');
    expect(page.text).toMatch(/name="fe:fe-1@h" checked/);
    expect(page.text).toMatch(/In effect: <strong>8<\/strong> · cluster setting/);
    const back = await root.form('/cluster/general', valid);
    expect(back.status).toBe(303);
    expect(await h.storage.control.getQueueSettings()).toEqual({});
  });
});

describe('Frontends & Backends, Routing', () => {
  it('lists frontends and backends', async () => {
    const page = await (await h.as('root')).get('/cluster/nodes');
    expect(page.text).toContain('<code>fe-1@h</code>');
    expect(page.text).toContain('<code>b1</code>');
  });

  it('sets a route, shows a bad field next to it, removes the route', async () => {
    const root = await h.as('root');
    const bad = await root.form('/cluster/routing', { destination: 'no..good', kind: 'mx' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-destination-error">invalid destination/);
    const badHost = await root.form('/cluster/routing', {
      destination: 'x.example',
      kind: 'smarthost',
      host: 'bad host',
      port: '25',
      tls: 'starttls',
    });
    expect(badHost.status).toBe(400);
    expect(await h.storage.control.listRoutes()).toEqual([]);
    const ok = await root.form('/cluster/routing', {
      destination: 'x.example',
      kind: 'smarthost',
      host: 'relay.example',
      port: '587',
      tls: 'required',
    });
    expect(ok.status).toBe(303);
    expect((await root.get('/cluster/routing')).text).toContain('<code>x.example</code>');
    expect((await root.form('/cluster/routing/remove', { destination: 'x.example' })).status).toBe(303);
    expect(await h.storage.control.listRoutes()).toEqual([]);
  });
});

describe('Queue and Trace', () => {
  it('lists in scope, acts on one job, counts a bulk action before doing it, holds and releases', async () => {
    const mine = await h.enqueue('x@remote.example', ['u@a.example']);
    const theirs = await h.enqueue('x@remote.example', ['u@b.example']);
    const dora = await h.as('dora');
    const list = await dora.get('/queue');
    expect(list.text).toContain(`data-id="${mine.id}"`);
    expect(list.text).not.toContain(theirs.id);
    expect((await dora.form(`/queue/jobs/${theirs.id}`, { action: 'delete' })).status).toBe(403);
    expect((await dora.form(`/queue/jobs/${mine.id}`, { action: 'hold' })).status).toBe(303);
    expect((await h.storage.queue.get(mine.id))?.status).toBe('held');

    const root = await h.as('root');
    const filtered = await root.get('/queue?domain=b.example');
    expect(filtered.text).toContain('action="/queue/bulk"');
    const dry = await root.form('/queue/bulk', { action: 'delete', domain: 'b.example' });
    expect(dry.status).toBe(200);
    expect(dry.text).toMatch(/id="dry-run-count"><strong>1<\/strong> job\(s\) match/);
    expect(await h.storage.queue.get(theirs.id)).toBeDefined();
    const done = await root.form('/queue/bulk', { action: 'delete', domain: 'b.example', confirm: 'yes' });
    expect(done.status).toBe(303);
    expect(await h.storage.queue.get(theirs.id)).toBeUndefined();
    const badFilter = await root.get('/queue?olderThanMinutes=soon');
    expect(badFilter.text).toContain('id="f-olderThanMinutes-error"');

    const badHold = await root.form('/queue/holds', { kind: 'account', value: 'not-an-address' });
    expect(badHold.status).toBe(400);
    expect(badHold.text).toMatch(/id="f-value"[^>]*value="not-an-address"/);
    expect(badHold.text).toContain('id="f-value-error"');
    expect((await root.form('/queue/holds', { kind: 'domain', value: 'c.example' })).status).toBe(303);
    expect((await root.get('/queue')).text).toContain('data-hold="domain:c.example"');
    expect((await root.form('/queue/holds/release', { kind: 'domain', value: 'c.example' })).status).toBe(
      303,
    );
    const notHeld = await root.form('/queue/holds/release', { kind: 'domain', value: 'c.example' });
    expect(notHeld.status).toBe(400);
    expect(notHeld.text).toContain('is not held');
    expect((await root.form(`/queue/jobs/${mine.id}`, { action: 'retry' })).status).toBe(303);
  });

  it('traces a message, and says so next to the field when nothing is found', async () => {
    const root = await h.as('root');
    const none = await root.get('/trace?q=nobody%40nowhere.example');
    expect(none.status).toBe(404);
    expect(none.text).toContain('id="f-q-error"');
    expect((await root.get('/trace')).status).toBe(200);
  });
});
