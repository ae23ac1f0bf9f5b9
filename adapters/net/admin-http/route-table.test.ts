/**
 * Every route of the admin route table, checked the same way (so an area's new routes are covered
 * as soon as they are listed in admin-routes.ts): no session → 401 (API) or a redirect to /login
 * (pages); an unsafe method of a cookie session without its CSRF token → 403; a cluster-only or
 * domain-scoped route called by an administrator of another domain → 403. Also the OpenAPI
 * description generated from the table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSafeMethod } from './csrf.ts';
import { escapeHtml, html } from './html.ts';
import { Router } from './router.ts';
import { realRoutes, startTestServer, type TestServer, testCertificate } from './server-test-support.ts';

// Listing the table needs no storage access; realRoutes() opens one for the handlers anyway.
const real = await realRoutes();
const routes = real.routes;
/** A path for the pattern, every domain or address parameter in a domain dora does not administer. */
const concrete = (path: string) =>
  path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    name === 'domain' ? 'other.example' : name === 'address' ? 'x1%40other.example' : 'x1',
  );
const guarded = routes.filter((r) => r.access !== 'public');
const scoped = guarded.filter((r) => r.access !== 'any');

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer(await testCertificate(), routes, { storage: real.deps.storage });
});
afterAll(async () => {
  await srv.close();
  await real.close();
});

describe('every route refuses', () => {
  it.each(guarded.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s without a session',
    async (_, route) => {
      const reply = await srv.client().send(route.method, concrete(route.path));
      if (route.kind === 'api') expect([reply.status, reply.json().error]).toEqual([401, 'sign in first']);
      else expect([reply.status, String(reply.headers.location).startsWith('/login')]).toEqual([303, true]);
    },
  );

  it.each(guarded.filter((r) => !isSafeMethod(r.method)).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s without the CSRF token',
    async (_, route) => {
      const c = srv.client();
      await c.login('root', 'root-password');
      const reply = await c.send(
        route.method,
        concrete(route.path),
        route.kind === 'page' ? { form: {} } : {},
      );
      expect(reply.status).toBe(403);
    },
  );

  it.each(scoped.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s to another domain's administrator",
    async (_, route) => {
      const c = srv.client();
      const csrf = await c.login('dora', 'dora-password');
      const reply = await c.send(
        route.method,
        concrete(route.path),
        route.kind === 'api'
          ? { headers: { 'x-csrf-token': csrf } }
          : route.method === 'GET'
            ? {}
            : { form: { _csrf: csrf } },
      );
      expect(reply.status).toBe(403);
    },
  );
});

describe('OpenAPI', () => {
  it('describes every API route with its parameters, body and refusals', async () => {
    expect((await srv.client().send('GET', '/api/openapi.json')).status).toBe(401);
    const c = srv.client();
    await c.login('root', 'root-password');
    const reply = await c.send('GET', '/api/openapi.json');
    expect(reply.status).toBe(200);
    const doc = reply.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const route of routes.filter((r) => r.kind === 'api')) {
      const op = doc.paths[route.path.replace(/:(\w+)/g, '{$1}')][route.method.toLowerCase()];
      expect(op.summary).toBe(route.summary);
      if (route.access !== 'public') expect(op.responses['401']).toBeDefined();
    }
    const login = doc.paths['/api/v1/session'].post;
    expect(login.security).toEqual([]);
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['name', 'password']);
    const audit = doc.paths['/api/v1/audit'].get;
    expect(audit.parameters).toContainEqual(
      expect.objectContaining({ name: 'limit', in: 'query', required: false }),
    );
    expect(doc.components.securitySchemes.session).toEqual({
      type: 'apiKey',
      in: 'cookie',
      name: 'strato_session',
    });
  });
});

describe('building blocks', () => {
  it('escapes every interpolated value', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', 1]}${undefined}${false}</p>`.text).toBe('<p><b>&lt;i&gt;</b>&lt;1</p>');
  });

  it('matches parameters per segment and refuses two routes for one pattern', () => {
    const router = new Router(routes);
    expect(router.match('GET', '/api/v1/me').kind).toBe('found');
    expect(router.match('GET', '/api/v1/me/extra').kind).toBe('none');
    expect(router.match('POST', '/api/v1/me')).toEqual({ kind: 'method', allowed: ['GET'] });
    expect(() => new Router([...routes, routes[0]!])).toThrow(/two admin routes/);
  });
});
