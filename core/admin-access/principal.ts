/**
 * Who is asking: a Principal is an administrator as one request (or CLI run) acts, with the role
 * and domains read from the store at that moment. Cluster administrators may do anything; domain
 * administrators only what concerns their domains. The `require…` checks throw ForbiddenError
 * (HTTP 403) and nothing else.
 */

import type { AdminRoleName, AuditVia } from '../ports/admin-store.ts';
import { ForbiddenError } from './errors.ts';

export type AdminRole = AdminRoleName;

export interface Principal {
  readonly name: string;
  readonly role: AdminRole;
  /** The domains of a domain administrator (lower case); empty for a cluster administrator. */
  readonly domains: readonly string[];
  readonly via: AuditVia;
}

/** The operator of `strato admin` (storage access is the authority): a cluster administrator. */
export function cliPrincipal(name: string): Principal {
  return { name, role: 'cluster', domains: [], via: 'cli' };
}

export function mayManageDomain(p: Principal, domain: string): boolean {
  if (p.role === 'cluster') return true;
  const d = domain.trim().toLowerCase().replace(/\.$/, '');
  return p.domains.includes(d);
}

export function requireClusterAdmin(p: Principal): void {
  if (p.role !== 'cluster') throw new ForbiddenError(`${p.name} is not a cluster administrator`);
}

export function requireDomainAccess(p: Principal, domain: string): void {
  if (!mayManageDomain(p, domain)) throw new ForbiddenError(`${p.name} may not manage ${domain}`);
}
