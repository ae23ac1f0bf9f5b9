/**
 * REPLACED AT MERGE: builds the admin process's access layer. Until core/admin-access (the durable
 * administrators, sessions, tokens and audit trail on `storage.admin`) is merged, this hands out
 * the in-memory stand-in, so every start makes a new first administrator and nothing survives a
 * restart. The merge makes this `createAdminAccess(storage.admin, …)` and nothing else changes.
 */
import type { AdminAccess } from '../../adapters/net/admin-http/access-types.ts';
import {
  asAdminAccess,
  MemoryAdminAccess,
} from '../../adapters/net/admin-http/memory-access-test-support.ts';
import type { Storage } from '../../core/ports/storage.ts';

export function openAdminAccess(_storage: Storage): AdminAccess {
  return asAdminAccess(new MemoryAdminAccess());
}
