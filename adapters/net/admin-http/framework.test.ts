/**
 * The admin HTTP framework over real HTTPS on 127.0.0.1, with a sample route table: refusals in
 * the order the framework checks them (401, CSRF 403, role 403, 415/413/400 naming the field,
 * domain scope 403), the error mapping of core errors, 500 without details, audit before/after,
 * unknown routes, and the security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, InvalidInputError, NotFoundAdminError } from '../../../core/admin/errors.ts';
import { NotFoundError } from '../../../core/directory/errors.ts';
import { SettingValueError } from '../../../core/settings/errors.ts';
import { apiRoute } from './route.ts';
import { realRoutes, startTestServer, type TestServer, testCertificate } from './server-test-support.ts';

const things = new Map<string, { name: string; size: number }>([['a.example/t1', { name: 't1', size: 1 }]]);
const key = (p: { domain: string; id: string }) => `${p.domain}/${p.id}`;

const sample = [
  apiRoute({
    method: 'GET',
    path: '/api/v1/cluster/secret',
    summary: 'cluster only',
    access: 'cluster',
    handler: async () => ({ ok: true }),
  }),
  apiRoute({
    method: 'GET',
    path: '/api/v1/domains/:domain/things/:id',
    summary: 'one thing',
    access: { domainParam: 'domain' },
    params: z.object({ domain: z.string(), id: z.string() }),
    handler: async (_ctx, { params }) => {
      const t = things.get(key(params));
      if (!t) throw new NotFoundAdminError('thing', params.id);
      return t;
    },
  }),
  apiRoute({
    method: 'PUT',
    path: '/api/v1/domains/:domain/things/:id',
    summary: 'set a thing',
    access: { domainParam: 'domain' },
    params: z.object({ domain: z.string(), id: z.string().regex(/^[a-z0-9]+$/) }),
    body: z.object({ size: z.number().int().min(0), label: z.object({ text: z.string() }).optional() }),
    audit: {
      action: 'thing.set',
      target: ({ params }) => key(params),
      domain: ({ params }) => params.domain,
      read: async (_ctx, { params }) => things.get(key(params)),
    },
    handler: async (_ctx, { params, body }) => {
      if (body.size === 13) throw new InvalidInputError('size', 'unlucky');
      if (body.size === 409) throw new ConflictError('busy');
      if (body.size === 999) throw new Error('disk on fire at /secret/path');
      const t = { name: params.id, size: body.size };
      things.set(key(params), t);
      return t;
    },
  }),
  apiRoute({
    method: 'POST',
    path: '/api/v1/errors/:kind',
    summary: 'throws core errors',
    access: 'cluster',
    params: z.object({ kind: z.string() }),
    handler: async (_ctx, { params }) => {
      if (params.kind === 'directory') throw new NotFoundError('domain', 'x.example');
      if (params.kind === 'setting') throw new SettingValueError('MaxMessageSize', 'big', 'a size');
      return undefined;
    },
  }),
];

let srv: TestServer;
let real: Awaited<ReturnType<typeof realRoutes>>;
beforeAll(async () => {
  real = await realRoutes();
  srv = await startTestServer(await testCertificate(), [...real.routes, ...sample], {
    maxBodyBytes: 1000,
    storage: real.deps.storage,
  });
});
afterAll(async () => {
  await srv.close();
  await real.close();
});

describe('authentication', () => {
  it('answers 401 JSON without a session, and with a Bearer token that is not one', async () => {
    const c = srv.client();
    const none = await c.send('GET', '/api/v1/me');
    expect(none.status).toBe(401);
    expect(none.json()).toEqual({ error: 'sign in first' });
    const bad = await c.send('GET', '/api/v1/me', { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });

  it('signs in with a HttpOnly, Secure, SameSite=Strict cookie and answers the CSRF token', async () => {
    const c = srv.client();
    const reply = await c.send('POST', '/api/v1/session', {
      json: { name: 'root', password: 'root-password' },
    });
    expect(reply.status).toBe(200);
    const cookie = String(reply.headers['set-cookie']);
    expect(cookie).toMatch(/^strato_session=[^;]+; HttpOnly; Secure; SameSite=Strict; Path=\//);
    expect(reply.json()).toMatchObject({ name: 'root', role: 'cluster', csrfToken: expect.any(String) });
    expect((await c.send('GET', '/api/v1/me')).json()).toMatchObject({ name: 'root', via: 'session' });
  });

  it('refuses a wrong password (401) and throttles (429 with Retry-After)', async () => {
    const c = srv.client();
    await srv.addAdmin('tess', 'right-password', 'cluster');
    for (let i = 0; i < 3; i++) {
      expect(
        (await c.send('POST', '/api/v1/session', { json: { name: 'tess', password: 'wrong' } })).status,
      ).toBe(401);
    }
    const throttled = await c.send('POST', '/api/v1/session', {
      json: { name: 'tess', password: 'right-password' },
    });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('accepts a Bearer token without CSRF, and logout ends the session', async () => {
    const c = srv.client();
    const token = await srv.addToken('root');
    const put = await c.send('PUT', '/api/v1/domains/a.example/things/t2', {
      json: { size: 2 },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(put.status).toBe(200);
    const csrf = await c.login('root', 'root-password');
    expect((await c.send('DELETE', '/api/v1/session', { headers: { 'x-csrf-token': csrf } })).status).toBe(
      204,
    );
    expect((await c.send('GET', '/api/v1/me')).status).toBe(401);
  });
});

describe('refusals', () => {
  it('needs the CSRF header on unsafe methods of a cookie session', async () => {
    const c = srv.client();
    const csrf = await c.login('root', 'root-password');
    const missing = await c.send('PUT', '/api/v1/domains/a.example/things/t3', { json: { size: 3 } });
    expect(missing.status).toBe(403);
    expect(missing.json().error).toMatch(/CSRF/);
    const wrong = await c.send('PUT', '/api/v1/domains/a.example/things/t3', {
      json: { size: 3 },
      headers: { 'x-csrf-token': `${csrf}x` },
    });
    expect(wrong.status).toBe(403);
    const right = await c.send('PUT', '/api/v1/domains/a.example/things/t3', {
      json: { size: 3 },
      headers: { 'x-csrf-token': csrf },
    });
    expect(right.status).toBe(200);
  });

  it('keeps a domain administrator to cluster-free routes of their domains (403)', async () => {
    const c = srv.client();
    await c.login('dora', 'dora-password');
    expect((await c.send('GET', '/api/v1/cluster/secret')).status).toBe(403);
    expect((await c.send('GET', '/api/v1/domains/b.example/things/t1')).status).toBe(403);
    expect((await c.send('GET', '/api/v1/domains/A.EXAMPLE/things/t1')).status).toBe(404);
    expect((await c.send('GET', '/api/v1/domains/a.example/things/t1')).json()).toEqual({
      name: 't1',
      size: 1,
    });
  });

  it('answers 400 naming the field, 415 for another content type, 413 past the limit', async () => {
    const c = srv.client();
    const h = { 'x-csrf-token': await c.login('root', 'root-password') };
    const path = '/api/v1/domains/a.example/things/t4';
    const bad = await c.send('PUT', path, { json: { size: -1 }, headers: h });
    expect(bad.status).toBe(400);
    expect(bad.json().field).toBe('size');
    const nested = await c.send('PUT', path, { json: { size: 1, label: { text: 5 } }, headers: h });
    expect(nested.json().field).toBe('label.text');
    const param = await c.send('PUT', '/api/v1/domains/a.example/things/T_4', {
      json: { size: 1 },
      headers: h,
    });
    expect(param.json()).toMatchObject({ field: 'id' });
    const notJson = await c.send('PUT', path, {
      body: '{',
      headers: { ...h, 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect(
      (await c.send('PUT', path, { body: 'size=1', headers: { ...h, 'content-type': 'text/plain' } })).status,
    ).toBe(415);
    expect((await c.send('PUT', path, { json: { size: 1, pad: 'x'.repeat(2000) }, headers: h })).status).toBe(
      413,
    );
  });

  it('maps the use cases and core errors: 404, 409, 400 with the field', async () => {
    const c = srv.client();
    const h = { 'x-csrf-token': await c.login('root', 'root-password') };
    expect((await c.send('GET', '/api/v1/domains/a.example/things/none')).status).toBe(404);
    const unlucky = await c.send('PUT', '/api/v1/domains/a.example/things/t5', {
      json: { size: 13 },
      headers: h,
    });
    expect([unlucky.status, unlucky.json().field]).toEqual([400, 'size']);
    expect(
      (await c.send('PUT', '/api/v1/domains/a.example/things/t5', { json: { size: 409 }, headers: h }))
        .status,
    ).toBe(409);
    expect((await c.send('POST', '/api/v1/errors/directory', { headers: h })).status).toBe(404);
    const setting = await c.send('POST', '/api/v1/errors/setting', { headers: h });
    expect([setting.status, setting.json().field]).toEqual([400, 'MaxMessageSize']);
  });

  it('answers an unforeseen failure 500 with a request id only, and logs it', async () => {
    const c = srv.client();
    const h = { 'x-csrf-token': await c.login('root', 'root-password') };
    const reply = await c.send('PUT', '/api/v1/domains/a.example/things/t6', {
      json: { size: 999 },
      headers: h,
    });
    expect(reply.status).toBe(500);
    expect(reply.text).not.toMatch(/fire|secret|at /);
    const { requestId } = reply.json();
    expect(srv.errors).toContainEqual(expect.objectContaining({ event: 'admin.request_failed', requestId }));
  });

  it('answers unknown paths 404 and other methods 405 with Allow', async () => {
    const c = srv.client();
    const unknown = await c.send('GET', '/api/v1/nothing');
    expect([unknown.status, unknown.headers['content-type']]).toEqual([
      404,
      'application/json; charset=utf-8',
    ]);
    const method = await c.send('PATCH', '/api/v1/me');
    expect([method.status, method.headers.allow]).toEqual([405, 'GET']);
    expect((await c.send('GET', '/no/page')).status).toBe(404);
  });
});

describe('audit and headers', () => {
  it('records a change with before and after, who and from where', async () => {
    const c = srv.client();
    const h = { 'x-csrf-token': await c.login('root', 'root-password') };
    await c.send('PUT', '/api/v1/domains/a.example/things/t1', { json: { size: 7 }, headers: h });
    const [entry] = await srv.audit();
    expect(entry).toMatchObject({
      action: 'thing.set',
      target: 'a.example/t1',
      domain: 'a.example',
      before: { name: 't1', size: 1 },
      after: { name: 't1', size: 7 },
      clientAddress: '127.0.0.1',
      actor: 'root',
    });
    const list = await c.send('GET', '/api/v1/audit?limit=1');
    expect(list.json().items[0]).toMatchObject({ action: 'thing.set', actor: 'root' });
    expect((await c.send('GET', '/api/v1/audit?limit=0')).json().field).toBe('limit');
  });

  it('does not record a refused change', async () => {
    const [before] = await srv.audit();
    const c = srv.client();
    const h = { 'x-csrf-token': await c.login('root', 'root-password') };
    await c.send('PUT', '/api/v1/domains/a.example/things/t1', { json: { size: 13 }, headers: h });
    expect((await srv.audit())[0]).toEqual(before);
  });

  it('sends the security headers on every answer, no-store on the API', async () => {
    const c = srv.client();
    for (const path of ['/api/v1/me', '/login', '/assets/admin.css', '/nope']) {
      const reply = await c.send('GET', path);
      expect(reply.headers['content-security-policy']).toContain("default-src 'self'");
      expect(reply.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await c.send('GET', '/api/v1/me')).headers['cache-control']).toBe('no-store');
  });
});
