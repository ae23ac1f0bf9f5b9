/**
 * The admin HTTPS server (node:https, no framework): security headers on every answer, the static
 * assets, `GET /api/openapi.json` from the route table (signed-in callers only), then the route table itself — API routes
 * (JSON, under /api/) and WebAdmin pages. An unknown path is 404 (JSON under /api/, a page
 * elsewhere), a known path with another method 405. `startAdminServer` listens and resolves once
 * bound (a bind failure rejects); `close` stops taking connections and ends idle ones.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Logger } from '../../../core/ports/logger.ts';
import type { AdminAccess } from './access-types.ts';
import { handleApi, logFault } from './api-handler.ts';
import { authenticate } from './auth.ts';
import { DEFAULT_MAX_BODY_BYTES } from './body.ts';
import { setSecurityHeaders } from './headers.ts';
import { errorPage } from './layout.ts';
import { openApiDocument } from './openapi.ts';
import { handlePage } from './page-handler.ts';
import { sendHtml, sendJson } from './respond.ts';
import type { AnyRoute } from './route.ts';
import { Router } from './router.ts';
import { ASSETS } from './static-assets.ts';

export const OPENAPI_PATH = '/api/openapi.json';

export interface AdminServerOptions {
  readonly access: AdminAccess;
  readonly routes: readonly AnyRoute[];
  readonly tls: { readonly key: string; readonly cert: string };
  readonly logger: Logger;
  /** Program version, in the OpenAPI document. */
  readonly version: string;
  readonly maxBodyBytes?: number;
}

export function createAdminServer(opts: AdminServerOptions): Server {
  const router = new Router(opts.routes);
  const deps = {
    access: opts.access,
    logger: opts.logger,
    maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  };
  let openapi: string | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://admin.invalid');
    const method = req.method ?? 'GET';
    const asset = ASSETS[url.pathname];
    if (asset && (method === 'GET' || method === 'HEAD')) {
      setSecurityHeaders(res, true);
      res
        .writeHead(200, { 'Content-Type': asset.type, ETag: asset.etag })
        .end(method === 'HEAD' ? '' : asset.body);
      return;
    }
    if (url.pathname === OPENAPI_PATH && method === 'GET') {
      // Like every admin route, the description answers only a signed-in caller (or a token).
      req.resume();
      if (!(await authenticate(req, deps.access))) {
        sendJson(res, 401, { error: 'sign in first' }, { 'WWW-Authenticate': 'Bearer' });
        return;
      }
      openapi ??= JSON.stringify(openApiDocument(router.routes, opts.version));
      setSecurityHeaders(res);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(openapi);
      return;
    }
    const isApi = url.pathname.startsWith('/api/');
    const match = router.match(method, url.pathname);
    if (match.kind === 'found') {
      if (match.route.kind === 'api') await handleApi(deps, req, res, match.route, match.params, url);
      else await handlePage(deps, req, res, match.route, match.params, url);
      return;
    }
    req.resume();
    const status = match.kind === 'method' ? 405 : 404;
    const message = status === 405 ? `${method} is not allowed here` : `no such page: ${url.pathname}`;
    if (match.kind === 'method') res.setHeader('Allow', match.allowed.join(', '));
    if (isApi) sendJson(res, status, { error: message });
    else {
      // A signed-in administrator keeps the navigation on a page that does not exist (yet).
      const caller = await authenticate(req, opts.access).catch(() => undefined);
      const page = caller ? { principal: caller.principal, csrfToken: caller.csrfToken } : {};
      sendHtml(res, status, errorPage(status, message, page));
    }
  };
  const server = createServer(
    { key: opts.tls.key, cert: opts.tls.cert, minVersion: 'TLSv1.2' },
    (req, res) => {
      handle(req, res).catch((err) => {
        const id = logFault(deps, req, err);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error', requestId: id });
        else res.destroy();
      });
    },
  );
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

export interface RunningAdminServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(
  opts: AdminServerOptions & { readonly port: number; readonly host: string },
): Promise<RunningAdminServer> {
  const server = createAdminServer(opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: a node:cluster worker binds its own port rather than sharing one via the primary.
    server.listen({ port: opts.port, host: opts.host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
