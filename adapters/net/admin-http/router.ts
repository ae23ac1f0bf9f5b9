/**
 * Matches a request's method and path against the route table. Patterns are literal segments and
 * `:name` parameters (one whole segment each, percent-decoded). A path that matches with another
 * method answers the methods it allows (405); a path no route has is not found (404). A segment
 * that does not percent-decode matches nothing.
 */
import type { AnyRoute, Method } from './route.ts';

interface Compiled {
  readonly route: AnyRoute;
  readonly segments: readonly string[];
}

export type Match =
  | { readonly kind: 'found'; readonly route: AnyRoute; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allowed: readonly Method[] }
  | { readonly kind: 'none' };

const split = (path: string): string[] => path.split('/').filter((s, i) => i > 0 || s !== '');

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly AnyRoute[]) {
    const seen = new Set<string>();
    this.compiled = routes.map((route) => {
      const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
      if (seen.has(key)) throw new Error(`two admin routes for ${route.method} ${route.path}`);
      seen.add(key);
      return { route, segments: split(route.path) };
    });
  }

  get routes(): readonly AnyRoute[] {
    return this.compiled.map((c) => c.route);
  }

  match(method: string, pathname: string): Match {
    const parts = split(pathname);
    const allowed: Method[] = [];
    for (const c of this.compiled) {
      const params = matchSegments(c.segments, parts);
      if (!params) continue;
      if (c.route.method === method || (method === 'HEAD' && c.route.method === 'GET')) {
        return { kind: 'found', route: c.route, params };
      }
      allowed.push(c.route.method);
    }
    return allowed.length > 0 ? { kind: 'method', allowed } : { kind: 'none' };
  }
}

function matchSegments(
  pattern: readonly string[],
  parts: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const part = parts[i]!;
    if (p.startsWith(':')) {
      if (part === '') return undefined;
      try {
        params[p.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (p !== part) return undefined;
  }
  return params;
}
