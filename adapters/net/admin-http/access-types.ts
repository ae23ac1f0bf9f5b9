/**
 * The access layer's types as the admin HTTP framework names them (core/admin-access: the
 * administrators, sessions, API tokens and audit trail).
 */
export type {
  AdminAccess,
  AdminRole,
  ChangeEntry as AuditChange,
  LoginResult,
  Principal,
} from '../../../core/admin-access/admin-access.ts';
