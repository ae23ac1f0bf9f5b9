/**
 * The WebAdmin over real HTTPS: sign-in page (failure and throttle messages, the name kept, never
 * the password), the redirect to /login with the page to come back to, sign-out, the Audit page
 * (escaped content, table headers), and a sample form: per-field messages with nothing saved,
 * the `_csrf` field, a use case's refusal shown beside its field, POST-redirect-GET with a flash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidInputError } from '../../../core/admin/errors.ts';
import { html } from './html.ts';
import { csrfField, field, formError, layout } from './layout.ts';
import { type FieldErrors, pageRoute } from './route.ts';
import {
  realRoutes,
  startTestServer,
  type TestClient,
  type TestServer,
  testCertificate,
} from './server-test-support.ts';

const saved: string[] = [];

function notesPage(
  ctx: { csrfToken: string | undefined; flash?: string | undefined },
  values: Record<string, string> = {},
  errors?: FieldErrors,
) {
  return layout({
    title: 'Notes',
    flash: ctx.flash,
    body: html`<form method="post" action="/notes">${csrfField(ctx.csrfToken)}${formError(errors)}
${field({ name: 'title', label: 'Title', value: values.title, errors })}
${field({ name: 'count', label: 'Count', value: values.count, errors })}
<button>Save</button></form><ul>${saved.map((s) => html`<li>${s}</li>`)}</ul>`,
  });
}

const sample = [
  pageRoute({
    method: 'GET',
    path: '/notes',
    title: 'Notes',
    access: 'cluster',
    handler: async (ctx) => ({ html: notesPage(ctx) }),
  }),
  pageRoute({
    method: 'POST',
    path: '/notes',
    title: 'Notes',
    access: 'cluster',
    body: z.object({
      title: z.string().min(1, 'Enter a title'),
      count: z.coerce.number().int('Enter a whole number'),
    }),
    audit: { action: 'note.add', target: ({ body }) => body.title },
    invalid: async (ctx, form) => notesPage(ctx, form.values, form.errors),
    handler: async (_ctx, { body }) => {
      if (body.title === 'taken') throw new InvalidInputError('title', 'That title is taken');
      saved.push(body.title);
      return { redirect: '/notes', flash: `Saved ${body.title}.` };
    },
  }),
];

let srv: TestServer;
let real: Awaited<ReturnType<typeof realRoutes>>;
beforeAll(async () => {
  real = await realRoutes();
  srv = await startTestServer(await testCertificate(), [...real.routes, ...sample], {
    storage: real.deps.storage,
  });
});
afterAll(async () => {
  await srv.close();
  await real.close();
});

async function signIn(c: TestClient, name = 'root', password = `${name}-password`) {
  const reply = await c.send('POST', '/login', { form: { name, password } });
  expect(reply.status).toBe(303);
  return reply;
}

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)?.[1];

describe('sign-in', () => {
  it('sends a page without a session to /login and back after signing in', async () => {
    const c = srv.client();
    const away = await c.send('GET', '/audit?limit=5');
    expect([away.status, away.headers.location]).toEqual([303, '/login?next=%2Faudit%3Flimit%3D5']);
    const page = await c.send('GET', '/login?next=%2Faudit');
    expect(page.text).toContain('<label for="f-name">Name</label>');
    const ok = await c.send('POST', '/login?next=%2Faudit', {
      form: { name: 'root', password: 'root-password' },
    });
    expect([ok.status, ok.headers.location]).toEqual([303, '/audit']);
    expect(String(ok.headers['set-cookie'])).toMatch(/strato_session=.*HttpOnly; Secure; SameSite=Strict/);
    expect((await c.send('GET', '/audit')).status).toBe(200);
  });

  it('never redirects off the site after signing in', async () => {
    const c = srv.client();
    const ok = await c.send('POST', `/login?next=${encodeURIComponent('//evil.example/')}`, {
      form: { name: 'root', password: 'root-password' },
    });
    expect(ok.headers.location).toBe('/');
  });

  it('says why a sign-in failed, keeps the name, never the password', async () => {
    const c = srv.client();
    await srv.addAdmin('pat', 'secret-pw', 'cluster');
    const wrong = await c.send('POST', '/login', { form: { name: 'pat', password: 'guess-pw' } });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong name or password.');
    expect(wrong.text).toContain('value="pat"');
    expect(wrong.text).not.toContain('guess-pw');
    const empty = await c.send('POST', '/login', { form: { name: 'pat', password: '' } });
    expect(empty.status).toBe(400);
    expect(empty.text).toMatch(/id="f-password-error">Enter your password</);
    await c.send('POST', '/login', { form: { name: 'pat', password: 'x' } });
    await c.send('POST', '/login', { form: { name: 'pat', password: 'x' } });
    const throttled = await c.send('POST', '/login', { form: { name: 'pat', password: 'secret-pw' } });
    expect(throttled.status).toBe(429);
    expect(throttled.text).toMatch(/Too many failed sign-ins. Try again in \d+ seconds./);
  });

  it('refuses a sign-in form posted from another site', async () => {
    const c = srv.client();
    const reply = await c.send('POST', '/login', {
      form: { name: 'root', password: 'root-password' },
      headers: { origin: 'https://evil.example' },
    });
    expect(reply.status).toBe(403);
    expect(c.cookies.has('strato_session')).toBe(false);
  });

  it('signs out with the CSRF field only', async () => {
    const c = srv.client();
    await signIn(c);
    const page = (await c.send('GET', '/audit')).text;
    expect((await c.send('POST', '/logout', { form: {} })).status).toBe(403);
    const out = await c.send('POST', '/logout', { form: { _csrf: csrfOf(page)! } });
    expect([out.status, out.headers.location]).toEqual([303, '/login']);
    const login = await c.send('GET', '/login');
    expect(login.text).toContain('You are signed out.');
    expect((await c.send('GET', '/audit')).status).toBe(303);
  });
});

describe('pages', () => {
  it('shows the audit trail escaped, with column headers, navigation by role', async () => {
    await srv.access.recordChange({
      actor: { name: 'root', role: 'cluster', domains: [], via: 'session' },
      action: 'domain.create',
      target: '<script>alert(1)</script>',
    });
    const c = srv.client();
    await signIn(c);
    const page = (await c.send('GET', '/audit')).text;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('<th scope="col">Action</th>');
    expect(page).toMatch(/<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td>/);
    expect(page).toContain('<a href="/audit" aria-current="page">Audit</a>');
    expect(page).toContain('Frontends &amp; Backends');
    const d = srv.client();
    await signIn(d, 'dora');
    const domainView = (await d.send('GET', '/audit')).text;
    expect(domainView).not.toContain('Frontends &amp; Backends');
    expect(domainView).not.toContain('alert(1)');
    expect((await d.send('GET', '/notes')).status).toBe(403);
  });

  it('shows each invalid field beside its input and saves nothing', async () => {
    const c = srv.client();
    await signIn(c);
    const csrf = csrfOf((await c.send('GET', '/notes')).text)!;
    const bad = await c.send('POST', '/notes', { form: { _csrf: csrf, title: '', count: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="f-title-error">Enter a title</);
    expect(bad.text).toMatch(/aria-invalid="true" aria-describedby="f-count-error"/);
    expect(bad.text).toContain('value="x"');
    const taken = await c.send('POST', '/notes', { form: { _csrf: csrf, title: 'taken', count: '1' } });
    expect(taken.status).toBe(400);
    expect(taken.text).toMatch(/id="f-title-error">That title is taken</);
    expect(saved).toEqual([]);
  });

  it('refuses a form without the CSRF field, then saves with it and shows the flash once', async () => {
    const c = srv.client();
    await signIn(c);
    expect((await c.send('POST', '/notes', { form: { title: 'first', count: '1' } })).status).toBe(403);
    const csrf = csrfOf((await c.send('GET', '/notes')).text)!;
    const ok = await c.send('POST', '/notes', { form: { _csrf: csrf, title: 'first', count: '1' } });
    expect([ok.status, ok.headers.location]).toEqual([303, '/notes']);
    expect(saved).toEqual(['first']);
    expect((await srv.audit())[0]).toMatchObject({ action: 'note.add', target: 'first' });
    expect((await c.send('GET', '/notes')).text).toContain('<p class="flash" role="status">Saved first.</p>');
    expect((await c.send('GET', '/notes')).text).not.toContain('Saved first.');
  });

  it('keeps the navigation on a page that does not exist', async () => {
    const c = srv.client();
    expect((await c.send('GET', '/no-such-page')).text).not.toContain('<nav');
    await signIn(c);
    const missing = await c.send('GET', '/no-such-page');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('<nav aria-label="Main">');
  });

  it('serves its own stylesheet and script, nothing inline', async () => {
    const c = srv.client();
    const login = (await c.send('GET', '/login')).text;
    expect(login).not.toMatch(/<script>|style=|<style/);
    const css = await c.send('GET', '/assets/admin.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    expect(css.text).toContain(':focus-visible');
    expect((await c.send('GET', '/assets/admin.js')).status).toBe(200);
  });
});
