/**
 * The admin HTTP route table's types. An API route declares its method, path pattern
 * (`/api/v1/domains/:domain`), summary, who may call it, zod schemas for params, query and body,
 * and a handler; a mutating route declares its audit action and target, and optionally `read`,
 * the target's current state, so the framework records before/after. A page route (HTML) does the
 * same with `render` (GET) or `submit` (a form POST: POST-redirect-GET on success, the form again
 * with each field's message on a validation error). Nothing here runs: server.ts interprets it.
 */
import type { z } from 'zod';
import type { AdminAccess, Principal } from './access-types.ts';
import type { SafeHtml } from './html.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route: any signed-in administrator, cluster administrators only, an administrator
 * whose domains include the value of the named path parameter (`domainParam`) or the domain of the
 * address in it (`addressParam`, e.g. an account), or anyone (login only).
 */
export type RouteAccess =
  | 'any'
  | 'cluster'
  | { readonly domainParam: string }
  | { readonly addressParam: string }
  | 'public';

export interface RequestContext {
  /** Undefined only on 'public' routes. */
  readonly principal: Principal;
  readonly access: AdminAccess;
  readonly clientAddress: string;
  /** The session's CSRF token (cookie sessions), for forms a page renders. */
  readonly csrfToken: string | undefined;
  /** The flash message the previous POST left (pages only). */
  readonly flash: string | undefined;
  /** The cookie session's token (logout), undefined for tokens. */
  readonly sessionToken: string | undefined;
  /** Adds a Set-Cookie header to the answer (login, logout). */
  setCookie(cookie: string): void;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
}

export interface AuditSpec<I> {
  /** e.g. 'domain.create' */
  readonly action: string;
  /** What changed, e.g. the domain name or the account address. */
  readonly target: (input: I) => string;
  /** The domain it belongs to (domain administrators see their domains' entries). */
  readonly domain?: (input: I) => string | undefined;
  /** The target's current state, read before and after the handler (undefined: absent). */
  readonly read?: (ctx: RequestContext, input: I) => Promise<unknown>;
}

type AnySchema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

export interface ApiRoute<
  P extends AnySchema = AnySchema,
  Q extends AnySchema = AnySchema,
  B extends AnySchema = AnySchema,
> {
  readonly kind: 'api';
  readonly method: Method;
  readonly path: string;
  readonly summary: string;
  readonly access: RouteAccess;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** For the OpenAPI description only. */
  readonly response?: AnySchema;
  /** The success status (default 200; a handler answering undefined gets 204). */
  readonly status?: number;
  readonly audit?: AuditSpec<RouteInput<Out<P>, Out<Q>, Out<B>>>;
  readonly handler: (ctx: RequestContext, input: RouteInput<Out<P>, Out<Q>, Out<B>>) => Promise<unknown>;
}

/** Field name → message, shown next to the field. */
export type FieldErrors = Readonly<Record<string, string>>;

export type PageResult =
  | { readonly html: SafeHtml; readonly status?: number }
  | { readonly redirect: string; readonly flash?: string };

export interface PageRoute<
  P extends AnySchema = AnySchema,
  Q extends AnySchema = AnySchema,
  B extends AnySchema = AnySchema,
> {
  readonly kind: 'page';
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly title: string;
  readonly access: RouteAccess;
  readonly params?: P;
  readonly query?: Q;
  /** A form's fields (urlencoded; `_csrf` is checked and removed first). */
  readonly body?: B;
  readonly audit?: AuditSpec<RouteInput<Out<P>, Out<Q>, Out<B>>>;
  /** GET: the page. POST: the result of a valid form (usually a redirect with a flash). */
  readonly handler: (ctx: RequestContext, input: RouteInput<Out<P>, Out<Q>, Out<B>>) => Promise<PageResult>;
  /**
   * POST: the form again, for a body that failed validation or a use case's InvalidInputError;
   * `values` is what was sent (never the password fields: the framework drops names containing
   * "password").
   */
  readonly invalid?: (
    ctx: RequestContext,
    form: {
      values: Readonly<Record<string, string>>;
      errors: FieldErrors;
      /** The path parameters (as sent; the scope is already checked). */
      params: Readonly<Record<string, string>>;
    },
  ) => Promise<SafeHtml>;
}

export type AnyRoute = ApiRoute | PageRoute;

/** Declares an API route with its input types inferred from the schemas. */
export function apiRoute<
  P extends AnySchema = z.ZodObject<Record<string, never>>,
  Q extends AnySchema = z.ZodObject<Record<string, never>>,
  B extends AnySchema = z.ZodObject<Record<string, never>>,
>(route: Omit<ApiRoute<P, Q, B>, 'kind'>): ApiRoute {
  return { kind: 'api', ...route } as unknown as ApiRoute;
}

/** Declares a WebAdmin page or form handler with its input types inferred from the schemas. */
export function pageRoute<
  P extends AnySchema = z.ZodObject<Record<string, never>>,
  Q extends AnySchema = z.ZodObject<Record<string, never>>,
  B extends AnySchema = z.ZodObject<Record<string, never>>,
>(route: Omit<PageRoute<P, Q, B>, 'kind'>): PageRoute {
  return { kind: 'page', ...route } as unknown as PageRoute;
}
