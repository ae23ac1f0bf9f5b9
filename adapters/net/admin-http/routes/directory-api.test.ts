/**
 * The directory API over real HTTPS, the real access layer and embedded storage: domains,
 * accounts, aliases, forwarders and DKIM keys — each route's answer and its refusals (no session
 * 401, another domain's administrator 403, CSRF 403, malformed input 400 naming the field,
 * unknown 404, conflict 409), the scope taken from an address's domain, the audit records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  realRoutes,
  startTestServer,
  type TestClient,
  type TestServer,
  testCertificate,
} from '../server-test-support.ts';

let srv: TestServer;
let real: Awaited<ReturnType<typeof realRoutes>>;
let root: TestClient;
let dora: TestClient;
let rootH: Record<string, string>;
let doraH: Record<string, string>;

beforeAll(async () => {
  real = await realRoutes();
  srv = await startTestServer(await testCertificate(), real.routes, { storage: real.deps.storage });
  root = srv.client();
  rootH = { 'x-csrf-token': await root.login('root', 'root-password') };
  dora = srv.client();
  doraH = { 'x-csrf-token': await dora.login('dora', 'dora-password') };
  for (const name of ['a.example', 'b.example']) {
    expect((await root.send('POST', '/api/v1/domains', { json: { name }, headers: rootH })).status).toBe(201);
  }
});
afterAll(async () => {
  await srv?.close();
  await real?.close();
});

describe('domains', () => {
  it('lists every domain to a cluster administrator, its own to a domain administrator', async () => {
    const all = (await root.send('GET', '/api/v1/domains')).json().items.map((d: { name: string }) => d.name);
    expect(all).toEqual(expect.arrayContaining(['a.example', 'b.example']));
    const own = (await dora.send('GET', '/api/v1/domains')).json().items.map((d: { name: string }) => d.name);
    expect(own).toEqual(['a.example']);
    expect((await srv.client().send('GET', '/api/v1/domains')).status).toBe(401);
  });

  it('adds (cluster only), refuses a duplicate 409 and a bad name 400', async () => {
    expect(
      (await dora.send('POST', '/api/v1/domains', { json: { name: 'c.example' }, headers: doraH })).status,
    ).toBe(403);
    expect((await root.send('POST', '/api/v1/domains', { json: { name: 'c.example' } })).status).toBe(403);
    const added = await root.send('POST', '/api/v1/domains', { json: { name: 'C.example' }, headers: rootH });
    expect([added.status, added.json().name]).toEqual([201, 'c.example']);
    const again = await root.send('POST', '/api/v1/domains', { json: { name: 'c.example' }, headers: rootH });
    expect(again.status).toBe(409);
    const bad = await root.send('POST', '/api/v1/domains', {
      json: { name: 'not a domain' },
      headers: rootH,
    });
    expect([bad.status, bad.json().field]).toEqual([400, 'name']);
    const missing = await root.send('POST', '/api/v1/domains', { json: {}, headers: rootH });
    expect([missing.status, missing.json().field]).toEqual([400, 'name']);
    expect((await srv.audit())[0]).toMatchObject({
      action: 'domain.create',
      target: 'c.example',
      actor: 'root',
    });
  });

  it('gets and updates a domain of its administrator, not another', async () => {
    const got = await dora.send('GET', '/api/v1/domains/a.example');
    expect(got.json()).toMatchObject({
      name: 'a.example',
      accounts: 0,
      effective: { sources: { Enabled: 'built-in' } },
    });
    expect((await dora.send('GET', '/api/v1/domains/b.example')).status).toBe(403);
    expect((await root.send('GET', '/api/v1/domains/none.example')).status).toBe(404);
    const patched = await dora.send('PATCH', '/api/v1/domains/a.example', {
      json: { mailToUnknown: 'discard', defaults: { MaxMessageSize: '10M' } },
      headers: doraH,
    });
    expect(patched.status).toBe(200);
    expect(patched.json()).toMatchObject({
      mailToUnknown: { action: 'discard' },
      effective: { settings: { MaxMessageSize: 10 * 1024 * 1024 }, sources: { MaxMessageSize: 'domain' } },
    });
    const bad = await dora.send('PATCH', '/api/v1/domains/a.example', {
      json: { defaults: { MaxMessageSize: 'huge' } },
      headers: doraH,
    });
    expect(bad.status).toBe(400);
    expect(bad.json().field).toMatch(/MaxMessageSize/);
    expect((await dora.send('PATCH', '/api/v1/domains/b.example', { json: {}, headers: doraH })).status).toBe(
      403,
    );
    expect((await srv.audit())[0]).toMatchObject({ action: 'domain.update', domain: 'a.example' });
  });

  it('removes (cluster only): 409 while not empty, then with force', async () => {
    await root.send('POST', '/api/v1/domains', { json: { name: 'gone.example' }, headers: rootH });
    await root.send('POST', '/api/v1/domains/gone.example/accounts', {
      json: { address: 'x@gone.example' },
      headers: rootH,
    });
    expect((await dora.send('DELETE', '/api/v1/domains/a.example', { headers: doraH })).status).toBe(403);
    expect((await root.send('DELETE', '/api/v1/domains/gone.example', { headers: rootH })).status).toBe(409);
    const forced = await root.send('DELETE', '/api/v1/domains/gone.example?force=true', { headers: rootH });
    expect([forced.status, forced.json()]).toEqual([200, { name: 'gone.example', removed: true }]);
    expect((await root.send('DELETE', '/api/v1/domains/gone.example', { headers: rootH })).status).toBe(404);
  });
});

describe('accounts', () => {
  it('adds in the path domain only, 409 for a taken name, 404 for an unknown domain', async () => {
    const add = (c: TestClient, h: Record<string, string>, domain: string, json: unknown) =>
      c.send('POST', `/api/v1/domains/${domain}/accounts`, { json, headers: h });
    const added = await add(dora, doraH, 'a.example', {
      address: 'Alice@a.example',
      password: 'alice-pass-1',
    });
    expect(added.status).toBe(201);
    expect(added.json()).toMatchObject({ address: 'alice@a.example', hasPassword: true });
    expect(added.json().passwordHash).toBeUndefined();
    const elsewhere = await add(dora, doraH, 'a.example', { address: 'eve@b.example' });
    expect([elsewhere.status, elsewhere.json().field]).toEqual([400, 'address']);
    expect((await add(dora, doraH, 'b.example', { address: 'eve@b.example' })).status).toBe(403);
    expect((await add(dora, doraH, 'a.example', { address: 'alice@a.example' })).status).toBe(409);
    expect((await add(root, rootH, 'none.example', { address: 'x@none.example' })).status).toBe(404);
    const short = await add(dora, doraH, 'a.example', { address: 'bob@a.example', password: '' });
    expect([short.status, short.json().field]).toEqual([400, 'password']);
    expect((await root.send('GET', '/api/v1/accounts/bob@a.example')).status).toBe(404);
  });

  it('lists a page at a time with a prefix search and a cursor', async () => {
    for (const n of ['pa1', 'pa2', 'pa3', 'pb1']) {
      await root.send('POST', '/api/v1/domains/b.example/accounts', {
        json: { address: `${n}@b.example` },
        headers: rootH,
      });
    }
    const first = (await root.send('GET', '/api/v1/domains/b.example/accounts?search=pa&limit=2')).json();
    expect(first.items.map((a: { address: string }) => a.address)).toEqual([
      'pa1@b.example',
      'pa2@b.example',
    ]);
    const next = await root.send(
      'GET',
      `/api/v1/domains/b.example/accounts?search=pa&limit=2&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    expect(next.json()).toEqual({ items: [expect.objectContaining({ address: 'pa3@b.example' })] });
    const mixed = await root.send(
      'GET',
      `/api/v1/domains/b.example/accounts?search=pb&cursor=${encodeURIComponent(first.nextCursor)}`,
    );
    expect([mixed.status, mixed.json().field]).toEqual([400, 'cursor']);
    expect((await root.send('GET', '/api/v1/domains/b.example/accounts?limit=0')).json().field).toBe('limit');
    expect((await dora.send('GET', '/api/v1/domains/b.example/accounts')).status).toBe(403);
  });

  it('shows stored and effective settings with their level; updates and sets the password', async () => {
    await root.send('POST', '/api/v1/domains/a.example/accounts', {
      json: { address: 'carol@a.example' },
      headers: rootH,
    });
    const patched = await dora.send('PATCH', '/api/v1/accounts/carol@a.example', {
      json: { settings: { MaxAccountSize: '1G' } },
      headers: doraH,
    });
    expect(patched.status).toBe(200);
    const got = (await dora.send('GET', '/api/v1/accounts/carol%40a.example')).json();
    expect(got).toMatchObject({
      settings: { MaxAccountSize: 1024 ** 3 },
      hasPassword: false,
      effective: { sources: { MaxAccountSize: 'account', MaxMessageSize: 'domain', Enabled: 'built-in' } },
    });
    const bad = await dora.send('PATCH', '/api/v1/accounts/carol@a.example', {
      json: { settings: { NoSuch: '1' } },
      headers: doraH,
    });
    expect([bad.status, bad.json().field]).toEqual([400, expect.stringContaining('settings')]);
    const noSettings = await dora.send('PATCH', '/api/v1/accounts/carol@a.example', {
      json: {},
      headers: doraH,
    });
    expect([noSettings.status, noSettings.json().field]).toEqual([400, 'settings']);
    const pw = await dora.send('PUT', '/api/v1/accounts/carol@a.example/password', {
      json: { password: 'carol-pass-1' },
      headers: doraH,
    });
    expect(pw.json()).toEqual({ address: 'carol@a.example', hasPassword: true });
    expect((await srv.audit())[0]).toMatchObject({ action: 'account.password', domain: 'a.example' });
    expect(JSON.stringify(await srv.audit(5))).not.toContain('carol-pass-1');
    expect(
      (
        await dora.send('PUT', '/api/v1/accounts/x@none.example/password', {
          json: { password: 'whatever-1' },
          headers: doraH,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await root.send('PUT', '/api/v1/accounts/x@a.example/password', {
          json: { password: 'whatever-1' },
          headers: rootH,
        })
      ).status,
    ).toBe(404);
  });

  it("scopes per-account routes by the address's domain", async () => {
    await root.send('POST', '/api/v1/domains/b.example/accounts', {
      json: { address: 'bea@b.example' },
      headers: rootH,
    });
    expect((await dora.send('GET', '/api/v1/accounts/bea@b.example')).status).toBe(403);
    expect((await dora.send('GET', '/api/v1/accounts/bea@B.EXAMPLE')).status).toBe(403);
    expect((await dora.send('DELETE', '/api/v1/accounts/bea@b.example', { headers: doraH })).status).toBe(
      403,
    );
    expect(
      (await dora.send('PATCH', '/api/v1/accounts/bea@b.example', { json: { settings: {} }, headers: doraH }))
        .status,
    ).toBe(403);
    expect((await root.send('GET', '/api/v1/accounts/bea@b.example')).status).toBe(200);
    expect((await root.send('GET', '/api/v1/accounts/not-an-address')).json().field).toBe('address');
  });

  it('removes an account with its aliases', async () => {
    await root.send('POST', '/api/v1/domains/a.example/accounts', {
      json: { address: 'dan@a.example' },
      headers: rootH,
    });
    await root.send('POST', '/api/v1/domains/a.example/aliases', {
      json: { address: 'daniel@a.example', account: 'dan@a.example' },
      headers: rootH,
    });
    const removed = await dora.send('DELETE', '/api/v1/accounts/dan@a.example', { headers: doraH });
    expect(removed.json()).toEqual({
      address: 'dan@a.example',
      removed: true,
      removedAliases: ['daniel@a.example'],
    });
    expect((await dora.send('DELETE', '/api/v1/accounts/dan@a.example', { headers: doraH })).status).toBe(
      404,
    );
    expect((await srv.audit())[0]).toMatchObject({
      action: 'account.remove',
      before: expect.objectContaining({ address: 'dan@a.example' }),
    });
  });
});

describe('aliases and forwarders', () => {
  it('adds, lists and removes aliases within the administrator’s domains', async () => {
    await root.send('POST', '/api/v1/domains/a.example/accounts', {
      json: { address: 'erin@a.example' },
      headers: rootH,
    });
    const add = (json: unknown, domain = 'a.example') =>
      dora.send('POST', `/api/v1/domains/${domain}/aliases`, { json, headers: doraH });
    expect((await add({ address: 'e@a.example', account: 'erin@a.example' })).status).toBe(201);
    expect((await add({ address: 'e@a.example', account: 'erin@a.example' })).status).toBe(409);
    expect((await add({ address: 'e2@a.example', account: 'nobody@a.example' })).status).toBe(404);
    expect((await add({ address: 'e3@b.example', account: 'erin@a.example' })).json().field).toBe('address');
    expect((await add({ address: 'e4@a.example', account: 'bea@b.example' })).json().field).toBe('account');
    expect((await add({ address: 'e5@b.example', account: 'erin@a.example' }, 'b.example')).status).toBe(403);
    expect((await add({ address: 'e6@a.example' })).json().field).toBe('account');
    const list = (await dora.send('GET', '/api/v1/domains/a.example/aliases')).json();
    expect(list.items).toContainEqual({ address: 'e@a.example', account: 'erin@a.example' });
    expect((await dora.send('GET', '/api/v1/domains/b.example/aliases')).status).toBe(403);
    expect((await dora.send('DELETE', '/api/v1/aliases/e@a.example', { headers: doraH })).status).toBe(200);
    expect((await dora.send('DELETE', '/api/v1/aliases/e@a.example', { headers: doraH })).status).toBe(404);
    expect((await dora.send('DELETE', '/api/v1/aliases/x@b.example', { headers: doraH })).status).toBe(403);
  });

  it('adds, lists and removes forwarders', async () => {
    const add = (json: unknown) =>
      dora.send('POST', '/api/v1/domains/a.example/forwarders', { json, headers: doraH });
    expect((await add({ address: 'f@a.example', target: 'someone@elsewhere.example' })).status).toBe(201);
    expect((await add({ address: 'f@a.example', target: 'other@elsewhere.example' })).status).toBe(409);
    expect((await add({ address: 'g@a.example', target: 'g@a.example' })).json().field).toBe('target');
    expect((await add({ address: 'g@a.example', target: 'bad target' })).json().field).toBe('target');
    const list = (await dora.send('GET', '/api/v1/domains/a.example/forwarders')).json();
    expect(list.items).toEqual([{ address: 'f@a.example', target: 'someone@elsewhere.example' }]);
    expect((await dora.send('GET', '/api/v1/domains/b.example/forwarders')).status).toBe(403);
    expect((await dora.send('DELETE', '/api/v1/forwarders/f@a.example', { headers: doraH })).status).toBe(
      200,
    );
    expect((await dora.send('DELETE', '/api/v1/forwarders/f@a.example', { headers: doraH })).status).toBe(
      404,
    );
    expect((await dora.send('DELETE', '/api/v1/forwarders/f@b.example', { headers: doraH })).status).toBe(
      403,
    );
  });
});

describe('DKIM keys', () => {
  it('generates, rotates and removes a retired key; refusals 409, 400, 404, 403', async () => {
    const base = '/api/v1/domains/a.example/dkim';
    const first = await dora.send('POST', base, {
      json: { algorithm: 'ed25519', selector: 's1' },
      headers: doraH,
    });
    expect(first.status).toBe(201);
    expect(first.json()).toMatchObject({
      selector: 's1',
      state: 'active',
      record: { name: 's1._domainkey.a.example', type: 'TXT' },
    });
    expect(first.text).not.toContain('PRIVATE');
    expect((await dora.send('POST', base, { json: {}, headers: doraH })).status).toBe(409);
    expect((await dora.send('POST', base, { json: { algorithm: 'dsa' }, headers: doraH })).json().field).toBe(
      'algorithm',
    );
    const rotated = await dora.send('POST', `${base}/rotate`, { json: { selector: 's2' }, headers: doraH });
    expect(rotated.json()).toMatchObject({ selector: 's2', retired: 's1', algorithm: 'ed25519' });
    const keys = (await dora.send('GET', base)).json().items;
    expect(keys.map((k: { selector: string; state: string }) => `${k.selector}:${k.state}`)).toEqual([
      's1:retired',
      's2:active',
    ]);
    expect((await dora.send('DELETE', `${base}/s2`, { headers: doraH })).status).toBe(409);
    expect((await dora.send('DELETE', `${base}/s1`, { headers: doraH })).status).toBe(200);
    expect((await dora.send('DELETE', `${base}/s1`, { headers: doraH })).status).toBe(404);
    expect((await dora.send('GET', '/api/v1/domains/b.example/dkim')).status).toBe(403);
    expect(
      (await root.send('POST', '/api/v1/domains/b.example/dkim/rotate', { json: {}, headers: rootH })).status,
    ).toBe(409);
    expect((await srv.audit())[0]).toMatchObject({ action: 'dkim.remove', target: 'a.example' });
  });
});
