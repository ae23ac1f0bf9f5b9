/**
 * Signing in and out over the API, and who am I: `POST /api/v1/session` (name and password; sets
 * the session cookie and answers the CSRF token; 401 for wrong credentials, 429 with Retry-After
 * while throttled), `DELETE /api/v1/session`, `GET /api/v1/me`.
 */
import { z } from 'zod';
import { clearedCookie, SESSION_COOKIE, sessionCookie } from '../auth.ts';
import { HttpError } from '../errors.ts';
import { apiRoute } from '../route.ts';

const principalSchema = z.object({
  name: z.string(),
  role: z.enum(['cluster', 'domain']),
  domains: z.array(z.string()),
  via: z.enum(['session', 'token', 'cli']),
});

export function loginRefusal(result: {
  reason: 'invalid' | 'throttled';
  retryAfterSeconds?: number;
}): HttpError {
  if (result.reason === 'throttled') {
    const after = result.retryAfterSeconds ?? 60;
    return new HttpError(429, `too many failed sign-ins; try again in ${after} s`, undefined, {
      'Retry-After': String(after),
    });
  }
  return new HttpError(401, 'wrong name or password');
}

export const sessionRoutes = [
  apiRoute({
    method: 'POST',
    path: '/api/v1/session',
    summary: 'Sign in: sets the session cookie and answers the CSRF token for unsafe requests',
    access: 'public',
    body: z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
    response: principalSchema.extend({ csrfToken: z.string(), expiresAt: z.number() }),
    handler: async (ctx, { body }) => {
      const result = await ctx.access.login(body.name, body.password, ctx.clientAddress);
      if (!result.ok) throw loginRefusal(result);
      ctx.setCookie(sessionCookie(result.sessionToken, result.expiresAt));
      return { ...result.principal, csrfToken: result.csrfToken, expiresAt: result.expiresAt };
    },
  }),
  apiRoute({
    method: 'DELETE',
    path: '/api/v1/session',
    summary: 'Sign out: ends the cookie session',
    access: 'any',
    handler: async (ctx) => {
      if (ctx.sessionToken) await ctx.access.logout(ctx.sessionToken);
      ctx.setCookie(clearedCookie(SESSION_COOKIE));
      return undefined;
    },
  }),
  apiRoute({
    method: 'GET',
    path: '/api/v1/me',
    summary: 'The signed-in administrator (and the session CSRF token)',
    access: 'any',
    response: principalSchema.extend({ csrfToken: z.string().optional() }),
    handler: async (ctx) => ({ ...ctx.principal, ...(ctx.csrfToken ? { csrfToken: ctx.csrfToken } : {}) }),
  }),
];
