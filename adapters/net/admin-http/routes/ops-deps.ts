/**
 * What the operations routes and pages (cluster, frontends, routing, queue, trace, leases) hand
 * the core/admin use cases: the ports they need out of the admin process's storage, the system
 * clock, and the caller's scope — a domain administrator sees their domains' mail only, a cluster
 * administrator everything (core/admin/queue-scope.ts).
 */
import type { QueueDeps, Scope } from '../../../../core/admin/queue-scope.ts';
import type { TraceDeps } from '../../../../core/admin/trace.ts';
import { DEFAULT_HOSTNAME } from '../../../../core/config/defaults.ts';
import { systemClock } from '../../../../core/ports/clock.ts';
import type { Storage } from '../../../../core/ports/storage.ts';
import type { Principal } from '../access-types.ts';

export interface OpsDeps {
  readonly storage: Storage;
  /** Reporting MTA named in bounce DSNs (STRATO_HOSTNAME). */
  readonly hostname?: string;
  /** Storage is AWS (a first-attempt job is in SQS only; trace says so). */
  readonly onSqs?: boolean;
}

export function queueDeps(deps: OpsDeps): QueueDeps {
  const { queue, messages, holds } = deps.storage;
  return { queue, messages, holds, clock: systemClock, hostname: deps.hostname ?? DEFAULT_HOSTNAME };
}

export function traceDeps(deps: OpsDeps): TraceDeps {
  return { history: deps.storage.history, queue: deps.storage.queue };
}

/** The caller's queue scope: undefined domains (everything) for a cluster administrator. */
export function scopeOf(principal: Principal): Scope {
  return principal.role === 'cluster' ? {} : { domains: principal.domains };
}
