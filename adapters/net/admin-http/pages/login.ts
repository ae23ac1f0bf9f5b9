/**
 * The sign-in page (`GET /login`, `POST /login`), sign-out (`POST /logout`) and the start page
 * (`GET /`, to the audit page for now). A failed sign-in shows the form again with the reason
 * (wrong name or password; throttled, with the wait); the name stays filled in, never the password.
 * `next` takes the administrator back to the page that sent them here, local paths only.
 */
import { z } from 'zod';
import { clearedCookie, SESSION_COOKIE, sessionCookie } from '../auth.ts';
import { html } from '../html.ts';
import { field, formError, layout } from '../layout.ts';
import { type FieldErrors, pageRoute } from '../route.ts';

/** Only a local path (never `//host` or a scheme): no open redirect. */
const safeNext = (next: string | undefined): string =>
  next && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';

function loginPage(opts: { name?: string; next?: string; errors?: FieldErrors; flash?: string }) {
  return layout({
    title: 'Sign in',
    flash: opts.flash,
    body: html`<form method="post" action="/login${opts.next ? `?next=${encodeURIComponent(opts.next)}` : ''}" class="login" novalidate>
${formError(opts.errors)}
${field({ name: 'name', label: 'Name', value: opts.name, errors: opts.errors, required: true, autocomplete: 'username' })}
${field({ name: 'password', label: 'Password', type: 'password', errors: opts.errors, required: true, autocomplete: 'current-password' })}
<button type="submit">Sign in</button>
</form>`,
  });
}

const nextQuery = z.object({ next: z.string().max(2000).optional() });

export const loginPages = [
  pageRoute({
    method: 'GET',
    path: '/login',
    title: 'Sign in',
    access: 'public',
    query: nextQuery,
    handler: async (ctx, { query }) => ({
      html: loginPage({
        ...(query.next ? { next: query.next } : {}),
        ...(ctx.flash ? { flash: ctx.flash } : {}),
      }),
    }),
  }),
  pageRoute({
    method: 'POST',
    path: '/login',
    title: 'Sign in',
    access: 'public',
    query: nextQuery,
    body: z.object({
      name: z.string().trim().min(1, 'Enter your name').max(200),
      password: z.string().min(1, 'Enter your password').max(1000),
    }),
    invalid: async (_ctx, form) => loginPage({ name: form.values.name ?? '', errors: form.errors }),
    handler: async (ctx, { body, query }) => {
      const result = await ctx.access.login(body.name, body.password, ctx.clientAddress);
      if (result.ok) {
        ctx.setCookie(sessionCookie(result.sessionToken, result.expiresAt));
        return { redirect: safeNext(query.next) };
      }
      const message =
        result.reason === 'throttled'
          ? `Too many failed sign-ins. Try again in ${result.retryAfterSeconds ?? 60} seconds.`
          : 'Wrong name or password.';
      const status = result.reason === 'throttled' ? 429 : 401;
      return {
        status,
        html: loginPage({
          name: body.name,
          errors: { _form: message },
          ...(query.next ? { next: query.next } : {}),
        }),
      };
    },
  }),
  pageRoute({
    method: 'POST',
    path: '/logout',
    title: 'Sign out',
    access: 'any',
    handler: async (ctx) => {
      if (ctx.sessionToken) await ctx.access.logout(ctx.sessionToken);
      ctx.setCookie(clearedCookie(SESSION_COOKIE));
      return { redirect: '/login', flash: 'You are signed out.' };
    },
  }),
  pageRoute({
    method: 'GET',
    path: '/',
    title: 'Strato WebAdmin',
    access: 'any',
    handler: async () => ({ redirect: '/audit' }),
  }),
];
