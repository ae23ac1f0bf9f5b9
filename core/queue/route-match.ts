/**
 * Which route of the outbound routing table (core/ports/route-table.ts) a destination domain
 * takes: its exact entry, else the most specific `*.parent` entry of a parent domain (the
 * longest one: `*.eu.example.com` before `*.example.com`), else `*`, else none (the process's
 * own relay). Pure; the index is built once per table read.
 */
import type { Route, RouteEntry } from '../ports/route-table.ts';

export class RouteIndex {
  private readonly exact = new Map<string, RouteEntry>();
  private readonly below = new Map<string, RouteEntry>();
  private readonly fallback: RouteEntry | undefined;

  constructor(readonly entries: readonly RouteEntry[]) {
    let any: RouteEntry | undefined;
    for (const e of entries) {
      if (e.destination === '*') any = e;
      else if (e.destination.startsWith('*.')) this.below.set(e.destination.slice(2), e);
      else this.exact.set(e.destination, e);
    }
    this.fallback = any;
  }

  /** The entry `domain` (lower case) takes, or undefined: the default relay applies. */
  match(domain: string): RouteEntry | undefined {
    const d = domain.toLowerCase().replace(/\.$/, '');
    const exact = this.exact.get(d);
    if (exact) return exact;
    for (let i = d.indexOf('.'); i >= 0; i = d.indexOf('.', i + 1)) {
      const found = this.below.get(d.slice(i + 1));
      if (found) return found;
    }
    return this.fallback;
  }
}

/**
 * One key per distinct way of relaying: every field that changes where or how mail goes. Equal
 * routes of several destinations share one relay (one connection pool to a smarthost).
 */
export function routeKey(route: Route): string {
  if (route.kind !== 'smarthost') return route.kind;
  const auth = route.user ? ` ${route.user} ${route.passwordEnv}` : '';
  return `smarthost ${route.host} ${route.port} ${route.tls}${auth}`;
}

/** The domain of an address (after its last @), lower case. */
export const recipientDomain = (address: string): string =>
  address.slice(address.lastIndexOf('@') + 1).toLowerCase();
