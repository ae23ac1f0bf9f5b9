/**
 * The cluster-wide operations API on real embedded storage: queue processing settings (get, patch,
 * a bad value named, an unknown frontend refused, nothing half-saved, audited), frontends and
 * backends, the routing table and account leases; each refused to a domain administrator (403),
 * without a session (401) and without the CSRF token (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDomain } from '../../../contract/helpers.ts';
import { type OpsHarness, opsHarness } from './ops-test-support.ts';

let h: OpsHarness;
beforeAll(async () => {
  h = await opsHarness();
  await h.heartbeat('fe-1@h', { group: 'intake' });
  await h.heartbeat('fe-2@h', { group: 'relay', processing: false, jobsInFlight: 0 });
});
afterAll(async () => h?.close());

describe('queue processing settings', () => {
  it('shows defaults, applies a patch, clears with null, and records the change', async () => {
    const root = await h.as('root');
    const first = await root.get('/api/v1/cluster/queue-processing');
    expect(first.status).toBe(200);
    expect(first.json().processing).toMatchObject({ value: null, effective: 'all', source: 'default' });
    const patched = await root.send('PATCH', '/api/v1/cluster/queue-processing', {
      processing: ['fe-1@h', 'relay'],
      concurrency: 7,
      retry: { firstSeconds: 30, maxSeconds: 600 },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json()).toMatchObject({
      processing: { value: ['fe-1@h', 'relay'], source: 'cluster' },
      concurrency: { effective: 7, source: 'cluster' },
      retry: { effective: { firstSeconds: 30, maxSeconds: 600 } },
      warnings: [],
    });
    expect(await h.storage.control.getQueueSettings()).toMatchObject({ concurrency: 7 });
    const cleared = await root.send('PATCH', '/api/v1/cluster/queue-processing', { concurrency: null });
    expect(cleared.json().concurrency).toMatchObject({ value: null, source: 'default' });
    const audit = await root.get('/api/v1/audit');
    expect(audit.json().items[0]).toMatchObject({
      action: 'cluster.queue-processing',
      before: expect.objectContaining({ concurrency: 7 }),
    });
  });

  it('names the bad field and saves nothing', async () => {
    const root = await h.as('root');
    const before = await h.storage.control.getQueueSettings();
    const bad = await root.send('PATCH', '/api/v1/cluster/queue-processing', {
      concurrency: 3,
      retry: { firstSeconds: 900, maxSeconds: 60 },
    });
    expect([bad.status, bad.json().field]).toEqual([400, 'retry.firstSeconds']);
    const unknown = await root.send('PATCH', '/api/v1/cluster/queue-processing', {
      concurrency: 3,
      processing: ['fe-9@nowhere'],
    });
    expect([unknown.status, unknown.json().field]).toEqual([400, 'processing']);
    expect(unknown.json().error).toMatch(/unknown frontend "fe-9@nowhere"/);
    const extra = await root.send('PATCH', '/api/v1/cluster/queue-processing', { speed: 1 });
    expect(extra.status).toBe(400);
    expect(await h.storage.control.getQueueSettings()).toEqual(before);
  });

  it('is refused to a domain administrator, without a session and without the CSRF token', async () => {
    const dora = await h.as('dora');
    expect((await dora.get('/api/v1/cluster/queue-processing')).status).toBe(403);
    expect((await dora.send('PATCH', '/api/v1/cluster/queue-processing', { concurrency: 2 })).status).toBe(
      403,
    );
    expect((await h.srv.client().send('GET', '/api/v1/cluster/queue-processing')).status).toBe(401);
    const c = h.srv.client();
    await c.login('root', 'root-password');
    const noCsrf = await c.send('PATCH', '/api/v1/cluster/queue-processing', { json: { concurrency: 2 } });
    expect(noCsrf.status).toBe(403);
  });
});

describe('frontends and backends', () => {
  it('lists the live frontends and backends to a cluster administrator only', async () => {
    await h.storage.backends.heartbeat({ id: 'b1', address: '127.0.0.1:1', kind: 'lmtp' }, 60_000);
    const root = await h.as('root');
    const fe = await root.get('/api/v1/cluster/frontends');
    expect(fe.status).toBe(200);
    expect(fe.json().frontends).toEqual([
      expect.objectContaining({
        id: 'fe-1@h',
        group: 'intake',
        processing: true,
        jobsInFlight: 1,
        live: true,
      }),
      expect.objectContaining({ id: 'fe-2@h', group: 'relay', processing: false, live: true }),
    ]);
    expect((await root.get('/api/v1/cluster/frontends?recent=true')).json().frontends).toHaveLength(2);
    expect((await root.get('/api/v1/cluster/frontends?recent=maybe')).json().field).toBe('recent');
    expect((await root.get('/api/v1/cluster/backends')).json().backends).toEqual([
      expect.objectContaining({ id: 'b1', kind: 'lmtp' }),
    ]);
    const dora = await h.as('dora');
    expect((await dora.get('/api/v1/cluster/frontends')).status).toBe(403);
    expect((await dora.get('/api/v1/cluster/backends')).status).toBe(403);
  });
});

describe('routing table', () => {
  it('sets, lists and removes routes; names bad fields; 404 for a route that is not there', async () => {
    const root = await h.as('root');
    const set = await root.send('PUT', `/api/v1/cluster/routes/${encodeURIComponent('*.partner.example')}`, {
      route: { kind: 'mx' },
    });
    expect(set.status, set.text).toBe(200);
    expect(set.json().route).toMatchObject({ destination: '*.partner.example' });
    expect((await root.get('/api/v1/cluster/routes')).json().routes).toEqual([
      expect.objectContaining({ destination: '*.partner.example' }),
    ]);
    const badDest = await root.send('PUT', '/api/v1/cluster/routes/not..valid', { route: { kind: 'mx' } });
    expect([badDest.status, badDest.json().field]).toEqual([400, 'destination']);
    const badRoute = await root.send('PUT', '/api/v1/cluster/routes/x.example', {
      route: { kind: 'pigeon' },
    });
    expect(badRoute.status).toBe(400);
    expect(badRoute.json().field).toMatch(/^route/);
    const removed = await root.send(
      'DELETE',
      `/api/v1/cluster/routes/${encodeURIComponent('*.partner.example')}`,
    );
    expect(removed.status).toBe(200);
    expect((await root.send('DELETE', '/api/v1/cluster/routes/x.example')).status).toBe(404);
    const dora = await h.as('dora');
    expect((await dora.get('/api/v1/cluster/routes')).status).toBe(403);
  });
});

describe('account leases', () => {
  it('shows where an account is open and releases its lease once (409 after, 404 unknown, 400 malformed)', async () => {
    await seedDomain(h.storage.directory, 'a.example', ['alice']);
    await h.storage.leases.acquire('alice@a.example', 'b1', 60_000);
    const root = await h.as('root');
    const where = await root.get('/api/v1/leases/alice@a.example');
    expect(where.json()).toMatchObject({ account: 'alice@a.example', lease: { owner: 'b1', held: true } });
    const epoch = where.json().lease.epoch as number;
    const stale = await root.send('POST', '/api/v1/leases/alice@a.example/release', { epoch: epoch + 5 });
    expect(stale.status).toBe(409);
    const ok = await root.send('POST', '/api/v1/leases/alice@a.example/release', { epoch });
    expect(ok.json()).toEqual({ account: 'alice@a.example', released: true, owner: 'b1', epoch });
    expect((await root.send('POST', '/api/v1/leases/alice@a.example/release')).status).toBe(409);
    expect((await root.get('/api/v1/leases/nobody@a.example')).status).toBe(404);
    const bad = await root.get('/api/v1/leases/not-an-address');
    expect([bad.status, bad.json().field]).toEqual([400, 'address']);
    const dora = await h.as('dora');
    expect((await dora.get('/api/v1/leases/alice@a.example')).status).toBe(403);
  });
});
