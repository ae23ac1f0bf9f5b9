/**
 * The admin process's access layer: administrators, sessions, API tokens and the audit trail,
 * durable on `storage.admin`, with login throttling on the cluster-wide counters.
 */
import type { AdminAccess } from '../../adapters/net/admin-http/access-types.ts';
import { createAdminAccess } from '../../core/admin-access/admin-access.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { Storage } from '../../core/ports/storage.ts';

export function openAdminAccess(storage: Storage): AdminAccess {
  return createAdminAccess({ store: storage.admin, counters: storage.counters, clock: systemClock });
}
