/**
 * The typed errors of the administration layer (re-exported by core/admin/errors.ts, where the
 * admin use cases import them from). They live here, below core/admin, because admin access
 * (core/admin-access) throws them too and core/admin imports admin access, not the other way.
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
