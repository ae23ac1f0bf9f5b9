/**
 * Rule sets and suppressions over the API (real HTTPS, access layer and embedded storage): get,
 * set (as JSON or text), validate (400 listing the problems, nothing stored), dry-run on a pasted
 * message; the cluster's rule set and suppressions for cluster administrators only; a domain
 * administrator kept to its domain's and accounts' rule sets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  realRoutes,
  startTestServer,
  type TestClient,
  type TestServer,
  testCertificate,
} from '../server-test-support.ts';

const TAG_EXTERNAL = {
  name: 'tag external',
  priority: 5,
  conditions: [{ field: 'Return-Path', op: 'not in', value: ['*@a.example'] }],
  actions: [{ action: 'tag subject', tag: '[EXT]' }],
};
const DISCARD_SPAM = {
  name: 'spam',
  priority: 'highest',
  conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
  actions: [{ action: 'discard' }],
};
const MESSAGE =
  'From: Bob <bob@example.org>\r\nTo: alice@a.example\r\nSubject: hi\r\nX-Spam-Flag: YES\r\n\r\nbody\r\n';

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
    await root.send('POST', '/api/v1/domains', { json: { name }, headers: rootH });
    await root.send('POST', `/api/v1/domains/${name}/accounts`, {
      json: { address: `alice@${name}` },
      headers: rootH,
    });
  }
});
afterAll(async () => {
  await srv?.close();
  await real?.close();
});

describe('rule sets', () => {
  it("sets and gets a domain's rule set as JSON, an account's as text", async () => {
    const set = await dora.send('PUT', '/api/v1/domains/a.example/rules', {
      json: { rules: [TAG_EXTERNAL] },
      headers: doraH,
    });
    expect(set.json()).toMatchObject({ ruleSet: 'domain a.example', rules: [{ name: 'tag external' }] });
    const text = await dora.send('PUT', '/api/v1/accounts/alice@a.example/rules', {
      json: { text: JSON.stringify([DISCARD_SPAM]) },
      headers: doraH,
    });
    expect(text.status).toBe(200);
    const got = (await dora.send('GET', '/api/v1/accounts/alice@a.example/rules')).json();
    expect(got).toMatchObject({ scope: 'account', name: 'alice@a.example', rules: [{ name: 'spam' }] });
    expect((await srv.audit())[0]).toMatchObject({
      action: 'rules.set',
      target: 'account alice@a.example',
      domain: 'a.example',
      before: [],
      after: [expect.objectContaining({ name: 'spam' })],
    });
  });

  it('refuses an invalid rule set with every problem listed, and stores nothing', async () => {
    const bad = await dora.send('PUT', '/api/v1/domains/a.example/rules', {
      json: { rules: [{ ...TAG_EXTERNAL, priority: 99 }, { name: 'x' }] },
      headers: doraH,
    });
    expect([bad.status, bad.json().field]).toEqual([400, 'rules']);
    expect(bad.json().problems.length).toBeGreaterThanOrEqual(2);
    const both = await dora.send('PUT', '/api/v1/domains/a.example/rules', {
      json: { rules: [], text: '[]' },
      headers: doraH,
    });
    expect([both.status, both.json().field]).toEqual([400, 'rules']);
    const kept = (await dora.send('GET', '/api/v1/domains/a.example/rules')).json();
    expect(kept.rules.map((r: { name: string }) => r.name)).toEqual(['tag external']);
  });

  it('validates without storing, for a scope', async () => {
    const ok = await dora.send('POST', '/api/v1/rules/validate?scope=domain', {
      json: { text: JSON.stringify([TAG_EXTERNAL]) },
      headers: doraH,
    });
    expect(ok.json()).toMatchObject({ valid: true, scope: 'domain', rules: [{ name: 'tag external' }] });
    const store = { ...TAG_EXTERNAL, actions: [{ action: 'store', folder: 'X' }] };
    const cluster = await dora.send('POST', '/api/v1/rules/validate?scope=cluster', {
      json: { rules: [store] },
      headers: doraH,
    });
    expect([cluster.status, cluster.json().field]).toEqual([400, 'rules']);
    expect(cluster.json().problems[0]).toMatch(/store/);
    const scope = await dora.send('POST', '/api/v1/rules/validate?scope=galaxy', {
      json: { rules: [] },
      headers: doraH,
    });
    expect([scope.status, scope.json().field]).toEqual([400, 'scope']);
    expect((await srv.client().send('POST', '/api/v1/rules/validate', { json: { rules: [] } })).status).toBe(
      401,
    );
  });

  it("keeps the cluster's rule set to cluster administrators and a domain administrator to its domain", async () => {
    expect((await dora.send('GET', '/api/v1/rules/cluster')).status).toBe(403);
    expect(
      (await dora.send('PUT', '/api/v1/rules/cluster', { json: { rules: [] }, headers: doraH })).status,
    ).toBe(403);
    expect((await root.send('PUT', '/api/v1/rules/cluster', { json: { rules: [] } })).status).toBe(403);
    const set = await root.send('PUT', '/api/v1/rules/cluster', {
      json: { rules: [TAG_EXTERNAL] },
      headers: rootH,
    });
    expect(set.json()).toMatchObject({ ruleSet: 'cluster', scope: 'cluster' });
    expect((await root.send('GET', '/api/v1/rules/cluster')).json().rules).toHaveLength(1);
    expect((await dora.send('GET', '/api/v1/domains/b.example/rules')).status).toBe(403);
    expect((await dora.send('GET', '/api/v1/accounts/alice@b.example/rules')).status).toBe(403);
    expect(
      (
        await dora.send('PUT', '/api/v1/accounts/alice@b.example/rules', {
          json: { rules: [] },
          headers: doraH,
        })
      ).status,
    ).toBe(403);
    expect((await root.send('GET', '/api/v1/accounts/nobody@a.example/rules')).status).toBe(404);
    expect((await root.send('GET', '/api/v1/domains/none.example/rules')).status).toBe(404);
  });

  it('dry-runs the domain and account rules on a pasted message', async () => {
    const run = await dora.send('POST', '/api/v1/accounts/alice@a.example/rules/dry-run', {
      json: { message: MESSAGE },
      headers: doraH,
    });
    expect(run.status).toBe(200);
    expect(run.json().plan.fate).toEqual({ kind: 'drop', because: 'discard' });
    expect(run.json().explanation).toContain('spam');
    const bad = await dora.send('POST', '/api/v1/accounts/alice@a.example/rules/dry-run', {
      json: { message: MESSAGE, source: 'pigeon' },
      headers: doraH,
    });
    expect([bad.status, bad.json().field]).toEqual([400, 'source']);
    const empty = await dora.send('POST', '/api/v1/accounts/alice@a.example/rules/dry-run', {
      json: {},
      headers: doraH,
    });
    expect([empty.status, empty.json().field]).toEqual([400, 'message']);
    expect(
      (
        await dora.send('POST', '/api/v1/accounts/alice@b.example/rules/dry-run', {
          json: { message: MESSAGE },
          headers: doraH,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await root.send('POST', '/api/v1/accounts/nobody@a.example/rules/dry-run', {
          json: { message: MESSAGE },
          headers: rootH,
        })
      ).status,
    ).toBe(404);
  });
});

describe('suppressions', () => {
  it('lists, adds and lifts suppressions, cluster administrators only', async () => {
    expect((await dora.send('GET', '/api/v1/suppressions')).status).toBe(403);
    expect(
      (
        await dora.send('POST', '/api/v1/suppressions', {
          json: { address: 'x@ext.example' },
          headers: doraH,
        })
      ).status,
    ).toBe(403);
    const added = await root.send('POST', '/api/v1/suppressions', {
      json: { address: 'X@ext.example', reason: 'complaint', detail: 'line\nbreak' },
      headers: rootH,
    });
    expect(added.status).toBe(201);
    expect(added.json()).toMatchObject({
      address: 'x@ext.example',
      reason: 'complaint',
      detail: 'line break',
    });
    const reason = await root.send('POST', '/api/v1/suppressions', {
      json: { address: 'y@ext.example', reason: 'dislike' },
      headers: rootH,
    });
    expect([reason.status, reason.json().field]).toEqual([400, 'reason']);
    const address = await root.send('POST', '/api/v1/suppressions', {
      json: { address: 'nope' },
      headers: rootH,
    });
    expect([address.status, address.json().field]).toEqual([400, 'address']);
    const list = (await root.send('GET', '/api/v1/suppressions')).json().items;
    expect(list.map((s: { address: string }) => s.address)).toEqual(['x@ext.example']);
    expect((await root.send('DELETE', '/api/v1/suppressions/x@ext.example')).status).toBe(403);
    expect((await root.send('DELETE', '/api/v1/suppressions/x@ext.example', { headers: rootH })).status).toBe(
      200,
    );
    expect((await root.send('DELETE', '/api/v1/suppressions/x@ext.example', { headers: rootH })).status).toBe(
      404,
    );
    expect((await srv.audit())[0]).toMatchObject({ action: 'suppression.remove', target: 'x@ext.example' });
  });
});
