/**
 * The admin process's route table: every API route and WebAdmin page, one list per area. An area
 * adds its routes in its own small file under routes/ (API) and pages/ (HTML) and one line here.
 */
import type { Storage } from '../../../core/ports/storage.ts';
import { accountPages } from './pages/accounts.ts';
import { auditPages } from './pages/audit.ts';
import { domainPages } from './pages/domains.ts';
import { loginPages } from './pages/login.ts';
import { rulePages } from './pages/rules.ts';
import type { AnyRoute } from './route.ts';
// Directory (domains, accounts, aliases, forwarders, DKIM, rules, suppressions): API and pages.
import { accountRoutes } from './routes/accounts.ts';
import { aliasRoutes } from './routes/aliases.ts';
import { auditRoutes } from './routes/audit.ts';
import { dkimRoutes } from './routes/dkim.ts';
import { domainRoutes } from './routes/domains.ts';
import { forwarderRoutes } from './routes/forwarders.ts';
import { ruleRoutes } from './routes/rules.ts';
import { sessionRoutes } from './routes/session.ts';
import { suppressionRoutes } from './routes/suppressions.ts';

/** What route handlers may use besides the access layer (which every handler has in its ctx). */
export interface AdminRouteDeps {
  readonly storage: Storage;
}

export function adminRoutes(deps: AdminRouteDeps): AnyRoute[] {
  return [
    ...sessionRoutes,
    ...auditRoutes,
    ...loginPages,
    ...auditPages,
    // Directory
    ...directoryRoutes(deps),
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
