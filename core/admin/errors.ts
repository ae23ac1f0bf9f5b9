/**
 * Errors of the administration use cases (core/admin), shared by their two front ends: the CLI
 * (cli/errors.ts maps them to exit codes) and the admin API (adapters/net/admin-http maps them
 * to HTTP statuses). A use case throws one of these for anything an operator can cause; anything
 * else is a fault. Existing core errors (core/directory/errors.ts, core/ports/errors.ts,
 * core/settings/errors.ts) keep their meaning and are mapped the same way by both front ends.
 *
 *   InvalidInputError  → CLI exit 2 · HTTP 400, with the field named
 *   NotFoundAdminError → CLI exit 1 · HTTP 404
 *   ConflictError      → CLI exit 1 · HTTP 409 (exists already, in flight, not held...)
 *   ForbiddenError     → CLI exit 1 · HTTP 403 (a domain administrator outside their domains)
 */
// Defined in core/admin-access (which throws them too and may not import core/admin).
export {
  AdminError,
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundAdminError,
} from '../admin-access/errors.ts';
