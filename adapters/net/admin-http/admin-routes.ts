/**
 * The admin process's route table: every API route and WebAdmin page, one list per area. An area
 * adds its routes in its own small file under routes/ (API) and pages/ (HTML) and one line here.
 */
import type { Storage } from '../../../core/ports/storage.ts';
import { auditPages } from './pages/audit.ts';
import { loginPages } from './pages/login.ts';
// Operations (cluster, frontends, routing, queue, trace, leases): API and pages.
import { opsPages } from './pages/ops.ts';
import type { AnyRoute } from './route.ts';
import { auditRoutes } from './routes/audit.ts';
import { clusterRoutes } from './routes/cluster.ts';
import { frontendRoutes } from './routes/frontends.ts';
import { leaseRoutes } from './routes/leases.ts';
import { queueRoutes } from './routes/queue.ts';
import { queueHoldRoutes } from './routes/queue-holds.ts';
import { routingRoutes } from './routes/routing.ts';
import { sessionRoutes } from './routes/session.ts';
import { traceRoutes } from './routes/trace.ts';

/** What route handlers may use besides the access layer (which every handler has in its ctx). */
export interface AdminRouteDeps {
  readonly storage: Storage;
  /** Reporting MTA named in the bounce reports an operator's bounce sends (STRATO_HOSTNAME). */
  readonly hostname?: string;
  /** Storage is AWS (trace: a first-attempt job is in SQS only). */
  readonly onSqs?: boolean;
}

export function adminRoutes(deps: AdminRouteDeps): AnyRoute[] {
  return [...sessionRoutes, ...auditRoutes, ...loginPages, ...auditPages, ...opsRoutes(deps)];
}

/** Operations: queue processing, frontends and backends, routing, queue, holds, trace, leases. */
function opsRoutes(deps: AdminRouteDeps): AnyRoute[] {
  return [
    ...clusterRoutes(deps),
    ...frontendRoutes(deps),
    ...routingRoutes(deps),
    ...queueRoutes(deps),
    ...queueHoldRoutes(deps),
    ...traceRoutes(deps),
    ...leaseRoutes(deps),
    ...opsPages(deps),
  ];
}
