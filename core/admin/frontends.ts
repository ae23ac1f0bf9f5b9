/**
 * The cluster's live topology for `strato cluster frontends|backends` and the WebAdmin: frontends
 * from their heartbeats in ClusterControl (live ones, and with `recent` also those gone less than
 * FRONTEND_FORGET_MS ago, each marked live or not) and backends from the BackendRegistry (live
 * ones). Plain JSON views, sorted by id. Storage faults propagate.
 */
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';
import type { ClusterControl, FrontendInfo } from '../ports/cluster-control.ts';

export interface FrontendsDeps {
  readonly control: Pick<ClusterControl, 'listLiveFrontends' | 'listRecentFrontends'>;
}

export interface BackendsDeps {
  readonly backends: Pick<BackendRegistry, 'listLive'>;
}

/**
 * A frontend as its last heartbeat said: id, group, address, sessions open, whether it processes
 * the queue, jobs in flight, concurrency, version, startedAt/seenAt/expiresAt (ms since epoch),
 * and whether it is live now (its heartbeat has not run out).
 */
export interface FrontendView extends FrontendInfo {
  readonly live: boolean;
}

/** A live backend: id, kind, address, accounts open, version, startedAt, expiresAt. */
export type BackendView = BackendInfo;

export async function listFrontends(
  deps: FrontendsDeps,
  opts: { readonly recent?: boolean; readonly now?: number } = {},
): Promise<FrontendView[]> {
  const now = opts.now ?? Date.now();
  const list = opts.recent
    ? await deps.control.listRecentFrontends()
    : await deps.control.listLiveFrontends();
  return list.map((f) => ({ ...f, live: f.expiresAt > now }));
}

export async function listBackends(deps: BackendsDeps): Promise<BackendView[]> {
  const live = await deps.backends.listLive();
  return [...live].sort((a, b) => a.id.localeCompare(b.id));
}
