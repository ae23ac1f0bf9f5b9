/**
 * Runs one WebAdmin page route. No session: a redirect to /login (with the page to come back to).
 * The role and domain scope are checked on the path first (403). A form POST: same-origin check,
 * the `_csrf` field (403), the fields validated — a failure shows the form again (400) with each
 * field's message and nothing saved —, then the handler under the audit wrapper; its result is a
 * page or a redirect with a flash message (POST-redirect-GET). A use case's InvalidInputError or ConflictError goes back to the form too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from './access-types.ts';
import { clientAddressOf, type HandlerDeps, logFault } from './api-handler.ts';
import { runAudited } from './audited.ts';
import {
  authenticate,
  authorize,
  type Caller,
  clearedCookie,
  FLASH_COOKIE,
  flashCookie,
  parseCookies,
} from './auth.ts';
import { readForm } from './body.ts';
import { CSRF_FIELD, checkCsrf } from './csrf.ts';
import { describeHttpError, HttpError } from './errors.ts';
import { formErrors, validateInput } from './input.ts';
import { errorPage } from './layout.ts';
import { appendCookie, redirect, sendHtml } from './respond.ts';
import type { FieldErrors, PageResult, PageRoute, RequestContext } from './route.ts';

/** The same-origin check for form posts (login has no session, hence no CSRF token yet). */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new HttpError(403, 'the form was posted from another site');
  }
  if (host !== req.headers.host) throw new HttpError(403, 'the form was posted from another site');
}

const withoutSecrets = (values: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(values).filter(([k]) => !/password|secret|_csrf/i.test(k)));

function send(res: ServerResponse, result: PageResult): void {
  if ('redirect' in result) {
    if (result.flash) appendCookie(res, flashCookie(result.flash));
    redirect(res, result.redirect);
  } else sendHtml(res, result.status ?? 200, result.html.text);
}

function context(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  caller: Caller | undefined,
): RequestContext {
  const flash = parseCookies(req.headers.cookie)[FLASH_COOKIE];
  if (flash !== undefined && req.method === 'GET') appendCookie(res, clearedCookie(FLASH_COOKIE));
  return {
    principal: caller?.principal as Principal,
    access: deps.access,
    clientAddress: clientAddressOf(req),
    csrfToken: caller?.csrfToken,
    sessionToken: caller?.sessionToken,
    flash: req.method === 'GET' ? flash : undefined,
    setCookie: (cookie) => appendCookie(res, cookie),
  };
}

export async function handlePage(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: PageRoute,
  params: Record<string, string>,
  url: URL,
): Promise<void> {
  let caller: Caller | undefined;
  try {
    caller = route.access === 'public' ? undefined : await authenticate(req, deps.access);
    if (route.access !== 'public' && !caller) {
      const next = req.method === 'GET' ? `?next=${encodeURIComponent(url.pathname + url.search)}` : '';
      redirect(res, `/login${next}`);
      return;
    }
    const ctx = context(deps, req, res, caller);
    if (route.method === 'POST') {
      checkOrigin(req);
      const values = await readForm(req, deps.maxBodyBytes);
      if (caller) checkCsrf(caller.csrfToken, values[CSRF_FIELD]);
      delete values[CSRF_FIELD];
      // The scope on the raw path parameters, before the form is checked or shown again.
      if (caller) authorize(caller.principal, route.access, params);
      const errors = route.body ? formErrors(route.body, values) : undefined;
      if (errors) return await invalid(res, route, ctx, { values, errors, params });
      const input = validateInput(route, {
        params,
        query: Object.fromEntries(url.searchParams),
        body: values,
      });
      if (caller) authorize(caller.principal, route.access, input.params as Record<string, unknown>);
      try {
        send(res, await runAudited(route.audit, ctx, input, deps.logger, () => route.handler(ctx, input)));
      } catch (err) {
        const known = describeHttpError(err);
        if (!known || !route.invalid || ![400, 409].includes(known.status)) throw err;
        await invalid(res, route, ctx, {
          values,
          errors: { [known.body.field ?? '_form']: known.body.error },
          params,
        });
      }
      return;
    }
    if (caller) authorize(caller.principal, route.access, params);
    const input = validateInput(route, {
      params,
      query: Object.fromEntries(url.searchParams),
      body: undefined,
    });
    if (caller) authorize(caller.principal, route.access, input.params as Record<string, unknown>);
    send(res, await route.handler(ctx, input));
  } catch (err) {
    const known = describeHttpError(err);
    const page = { principal: caller?.principal, csrfToken: caller?.csrfToken, path: url.pathname };
    if (known) sendHtml(res, known.status, errorPage(known.status, known.body.error, page));
    else {
      const id = logFault(deps, req, err);
      sendHtml(res, 500, errorPage(500, `Something went wrong (request ${id}); it has been logged.`, page));
    }
  }
}

async function invalid(
  res: ServerResponse,
  route: PageRoute,
  ctx: RequestContext,
  form: { values: Record<string, string>; errors: FieldErrors; params: Record<string, string> },
): Promise<void> {
  const { values, errors, params } = form;
  if (!route.invalid) {
    const [field, message] = Object.entries(errors)[0] ?? ['_form', 'invalid input'];
    throw new HttpError(400, `${field}: ${message}`, field);
  }
  sendHtml(res, 400, (await route.invalid(ctx, { values: withoutSecrets(values), errors, params })).text);
}
