/**
 * The admin process's route table: every API route and WebAdmin page, one list per area. An area
 * adds its routes in its own small file under routes/ (API) and pages/ (HTML) and one line here.
 */
import { auditPages } from './pages/audit.ts';
import { loginPages } from './pages/login.ts';
import type { AnyRoute } from './route.ts';
import { auditRoutes } from './routes/audit.ts';
import { sessionRoutes } from './routes/session.ts';

export function adminRoutes(): AnyRoute[] {
  return [...sessionRoutes, ...auditRoutes, ...loginPages, ...auditPages];
}
