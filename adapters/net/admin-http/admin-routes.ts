/**
 * The admin process's route table: every API route and WebAdmin page, one list per area. An area
 * adds its routes in its own small file under routes/ (API) and pages/ (HTML) and one line here.
 */
import type { Storage } from '../../../core/ports/storage.ts';
import { auditPages } from './pages/audit.ts';
import { loginPages } from './pages/login.ts';
import type { AnyRoute } from './route.ts';
import { auditRoutes } from './routes/audit.ts';
import { sessionRoutes } from './routes/session.ts';

/** What route handlers may use besides the access layer (which every handler has in its ctx). */
export interface AdminRouteDeps {
  readonly storage: Storage;
}

export function adminRoutes(_deps: AdminRouteDeps): AnyRoute[] {
  return [...sessionRoutes, ...auditRoutes, ...loginPages, ...auditPages];
}
