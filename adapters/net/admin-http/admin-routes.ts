/**
 * The admin process's route table: every API route and WebAdmin page, one list per area. An area
 * adds its routes in its own small file under routes/ (API) and pages/ (HTML) and one line here.
 */
import type { Storage } from '../../../core/ports/storage.ts';
import { accountPages } from './pages/accounts.ts';
import { auditPages } from './pages/audit.ts';
import { domainPages } from './pages/domains.ts';
import { loginPages } from './pages/login.ts';
import { opsPages } from './pages/ops.ts';
import { rulePages } from './pages/rules.ts';
import type { AnyRoute } from './route.ts';
import { accountRoutes } from './routes/accounts.ts';
import { aliasRoutes } from './routes/aliases.ts';
import { auditRoutes } from './routes/audit.ts';
import { clusterRoutes } from './routes/cluster.ts';
import { dkimRoutes } from './routes/dkim.ts';
import { domainRoutes } from './routes/domains.ts';
import { forwarderRoutes } from './routes/forwarders.ts';
import { frontendRoutes } from './routes/frontends.ts';
import { leaseRoutes } from './routes/leases.ts';
import { queueRoutes } from './routes/queue.ts';
import { queueHoldRoutes } from './routes/queue-holds.ts';
import { routingRoutes } from './routes/routing.ts';
import { ruleRoutes } from './routes/rules.ts';
import { sessionRoutes } from './routes/session.ts';
import { suppressionRoutes } from './routes/suppressions.ts';
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
  return [
    ...sessionRoutes,
    ...auditRoutes,
    ...loginPages,
    ...auditPages,
    ...directoryRoutes(deps),
    ...opsRoutes(deps),
  ];
}

/** The directory areas' API routes and WebAdmin pages. */
function directoryRoutes(deps: AdminRouteDeps): AnyRoute[] {
  return [
    ...domainRoutes(deps),
    ...accountRoutes(deps),
    ...aliasRoutes(deps),
    ...forwarderRoutes(deps),
    ...dkimRoutes(deps),
    ...ruleRoutes(deps),
    ...suppressionRoutes(deps),
    ...domainPages(deps),
    ...accountPages(deps),
    ...rulePages(deps),
  ];
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
