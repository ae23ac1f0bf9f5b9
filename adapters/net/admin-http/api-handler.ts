/**
 * Runs one API route: authenticate (401), CSRF for cookie sessions on unsafe methods (403), the
 * role and domain scope check on the path parameters (403), the JSON body (415, 413, 400),
 * params/query/body validation (400 naming the field), the scope again on the validated
 * parameters, then the handler under the audit wrapper. Errors map through
 * errors.ts; an unforeseen one is logged with a request id and answered 500 without details.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../../core/ports/logger.ts';
import type { AdminAccess, Principal } from './access-types.ts';
import { runAudited } from './audited.ts';
import { authenticate, authorize } from './auth.ts';
import { readJson } from './body.ts';
import { CSRF_HEADER, checkCsrf, isSafeMethod } from './csrf.ts';
import { describeHttpError, HttpError } from './errors.ts';
import { validateInput } from './input.ts';
import { appendCookie, sendJson } from './respond.ts';
import type { ApiRoute, RequestContext } from './route.ts';

export interface HandlerDeps {
  readonly access: AdminAccess;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
}

export const clientAddressOf = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

/** Logs an unforeseen failure and says which request it was. */
export function logFault(deps: HandlerDeps, req: IncomingMessage, err: unknown): string {
  const requestId = randomUUID();
  deps.logger.error({
    event: 'admin.request_failed',
    requestId,
    method: req.method,
    path: (req.url ?? '').split('?')[0],
    err: err instanceof Error ? (err.stack ?? err.message) : String(err),
  });
  return requestId;
}

export async function handleApi(
  deps: HandlerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: ApiRoute,
  params: Record<string, string>,
  url: URL,
): Promise<void> {
  try {
    const caller = route.access === 'public' ? undefined : await authenticate(req, deps.access);
    if (route.access !== 'public') {
      if (!caller) throw new HttpError(401, 'sign in first', undefined, { 'WWW-Authenticate': 'Bearer' });
      if (!isSafeMethod(req.method ?? 'GET')) checkCsrf(caller.csrfToken, req.headers[CSRF_HEADER] as string);
      // The scope on the raw path parameters first: nothing of another domain's request is read.
      authorize(caller.principal, route.access, params);
    }
    const body = route.body ? await readJson(req, deps.maxBodyBytes) : undefined;
    const input = validateInput(route, { params, query: Object.fromEntries(url.searchParams), body });
    if (caller) authorize(caller.principal, route.access, input.params as Record<string, unknown>);
    const ctx: RequestContext = {
      principal: caller?.principal as Principal,
      access: deps.access,
      clientAddress: clientAddressOf(req),
      csrfToken: caller?.csrfToken,
      sessionToken: caller?.sessionToken,
      flash: undefined,
      setCookie: (cookie) => appendCookie(res, cookie),
    };
    const result = await runAudited(route.audit, ctx, input, deps.logger, () => route.handler(ctx, input));
    sendJson(res, result === undefined ? 204 : (route.status ?? 200), result);
  } catch (err) {
    const known = describeHttpError(err);
    if (known) sendJson(res, known.status, known.body, known.headers);
    else sendJson(res, 500, { error: 'internal error', requestId: logFault(deps, req, err) });
  }
}
