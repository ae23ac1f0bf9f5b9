/**
 * The outbound routing table (core/ports/route-table.ts) for `strato route list|set|remove` and
 * the WebAdmin: per destination (`example.com`, `*.example.com`, `*`) how external mail is relayed
 * (mx, smarthost, ses); destinations without a route use each queue processor's STRATO_RELAY.
 * Queue processors re-read the table within seconds. A malformed destination or route is an
 * InvalidInputError naming the field (`destination`, `route.host`...); a full table is a
 * ConflictError; removing a destination without a route is NotFoundAdminError. A route for a
 * hosted domain is stored with a warning (routes apply to external recipients only). Storage
 * faults propagate.
 */
import { type ClusterControl, tooManyRoutes } from '../ports/cluster-control.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import { PortError } from '../ports/errors.ts';
import { parseDestination, type RouteEntry, routeSchema } from '../ports/route-table.ts';

import { ConflictError, InvalidInputError, NotFoundAdminError } from './errors.ts';

export interface RoutesDeps {
  readonly control: Pick<ClusterControl, 'listRoutes' | 'setRoute' | 'removeRoute'>;
  readonly directory: Pick<DirectoryReader, 'getDomain'>;
}

export type RouteView = RouteEntry;

export interface RouteSetResult {
  readonly route: RouteView;
  /** Stored but worth a look (a route for a domain hosted here has no effect). */
  readonly warnings: readonly string[];
}

/** A destination as stored (lowercase, `*.` kept), or InvalidInputError('destination'). */
export function destinationOf(input: string): string {
  const parsed = parseDestination(input);
  if (!parsed.ok)
    throw new InvalidInputError('destination', `invalid destination "${input}": ${parsed.reason}`);
  return parsed.value;
}

/** Every route, sorted by destination. */
export async function listRoutes(deps: Pick<RoutesDeps, 'control'>): Promise<RouteView[]> {
  return deps.control.listRoutes();
}

/** Set (add or replace) the route of a destination; `route` as the API sent it (validated here). */
export async function setRoute(
  deps: RoutesDeps,
  destination: string,
  route: unknown,
): Promise<RouteSetResult> {
  const dest = destinationOf(destination);
  const parsed = routeSchema.safeParse(route);
  if (!parsed.success) {
    const issue = parsed.error.issues.at(-1);
    const field = ['route', ...(issue?.path ?? []).map(String)].join('.');
    throw new InvalidInputError(field, `invalid route: ${issue?.message ?? 'invalid value'}`);
  }
  const warnings: string[] = [];
  if (!dest.includes('*') && (await deps.directory.getDomain(dest))) {
    warnings.push(
      `${dest} is hosted here; routes apply to external recipients only, so this one has no effect`,
    );
  }
  try {
    return { route: await deps.control.setRoute(dest, parsed.data), warnings };
  } catch (err) {
    // The only refusal the port makes after validation: the table is full.
    if (err instanceof PortError && err.message === tooManyRoutes()) throw new ConflictError(err.message);
    throw err;
  }
}

/** Remove a destination's route (its mail uses the next match again). */
export async function removeRoute(
  deps: Pick<RoutesDeps, 'control'>,
  destination: string,
): Promise<{ readonly destination: string; readonly removed: true }> {
  const dest = destinationOf(destination);
  if (!(await deps.control.removeRoute(dest))) {
    throw new NotFoundAdminError('route', dest, `no route for ${dest}`);
  }
  return { destination: dest, removed: true };
}
