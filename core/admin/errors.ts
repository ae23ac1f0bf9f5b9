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

export class AdminError extends Error {
  override readonly name: string = 'AdminError';
}

/** The input is wrong; `field` names it the way the caller sent it (`address`, `settings.MaxMessageSize`). */
export class InvalidInputError extends AdminError {
  override readonly name = 'InvalidInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The object the request names does not exist. */
export class NotFoundAdminError extends AdminError {
  override readonly name = 'NotFoundAdminError';
  constructor(
    readonly kind: string,
    readonly id: string,
    message = `${kind} ${id} does not exist`,
  ) {
    super(message);
  }
}

/** The object exists but is in a state that refuses the change. */
export class ConflictError extends AdminError {
  override readonly name = 'ConflictError';
}

/** The caller may not do this (role or domain scope). */
export class ForbiddenError extends AdminError {
  override readonly name = 'ForbiddenError';
}
