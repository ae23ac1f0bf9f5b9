/**
 * The outbound routing table (part of the cluster settings, stored through ClusterControl): per
 * destination — an exact domain, `*.example.com` for every subdomain of example.com, or `*` for
 * everything else — how external mail is relayed: by MX, through a smarthost (host, port, TLS
 * mode, optional AUTH), or through SES. A destination with no entry uses the process's
 * STRATO_RELAY. Every entry is validated with zod on write and on read; an invalid one is
 * refused (ZodError on write, PortError on read), never acted on.
 *
 * The table is readable by every operator, so it never holds a password: a smarthost with AUTH
 * names an environment variable (`STRATO_ROUTE_PASSWORD_<NAME>`) that each queue-processing
 * process reads. The fixed prefix keeps the table from pointing a smarthost's AUTH at any other
 * variable of the process (a cloud credential, the channel secret) and sending it to a host of
 * the writer's choice. AUTH is only allowed over TLS (modes `required` and `implicit`).
 */
import { z } from 'zod';
import { parseDomain } from '../mail/address.ts';

/** TLS towards a smarthost: STARTTLS when offered, STARTTLS or fail, or TLS from the first byte. */
export const SMARTHOST_TLS_MODES = ['starttls', 'required', 'implicit'] as const;
export type SmarthostTls = (typeof SMARTHOST_TLS_MODES)[number];

export const ROUTE_KINDS = ['mx', 'smarthost', 'ses'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/** The only environment variables a route may take a smarthost password from. */
export const ROUTE_PASSWORD_ENV_PATTERN = /^STRATO_ROUTE_PASSWORD_[A-Z0-9_]+$/;

/** Most entries a table holds (each queue processor reads the whole table every few seconds). */
export const MAX_ROUTES = 500;

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/** A smarthost: a DNS name (ASCII), an IPv4 address or an IPv6 address (without brackets). */
export function isSmarthostHost(host: string): boolean {
  if (IPV4.test(host)) return host.split('.').every((n) => Number(n) <= 255);
  if (host.includes(':')) return IPV6.test(host);
  return host.length <= 253 && host.split('.').every((l) => HOST_LABEL.test(l));
}

export const smarthostRouteSchema = z
  .object({
    kind: z.literal('smarthost'),
    host: z
      .string()
      .refine(isSmarthostHost, 'a host name, IPv4 or IPv6 address')
      .transform((h) => h.toLowerCase()),
    port: z.number().int().min(1).max(65535),
    tls: z.enum(SMARTHOST_TLS_MODES),
    user: z.string().min(1).max(256).optional(),
    passwordEnv: z
      .string()
      .regex(ROUTE_PASSWORD_ENV_PATTERN, 'an environment variable named STRATO_ROUTE_PASSWORD_<NAME>')
      .optional(),
  })
  .strict()
  .refine((r) => (r.user === undefined) === (r.passwordEnv === undefined), {
    message: 'AUTH needs both a user and a password variable (passwordEnv, --password-env)',
  })
  .refine((r) => r.user === undefined || r.tls !== 'starttls', {
    message: 'AUTH needs TLS mode required or implicit (a password never goes in the clear)',
  });

export const routeSchema = z.union([
  z.object({ kind: z.literal('mx') }).strict(),
  z.object({ kind: z.literal('ses') }).strict(),
  smarthostRouteSchema,
]);
export type Route = z.output<typeof routeSchema>;
export type SmarthostRoute = Extract<Route, { kind: 'smarthost' }>;

/**
 * A destination, normalised (lower case, no trailing dot), or why not: `*`, a domain, or `*.`
 * followed by a domain (its subdomains, not the domain itself).
 */
export function parseDestination(input: string): { ok: true; value: string } | { ok: false; reason: string } {
  const text = input.trim();
  if (text === '*') return { ok: true, value: '*' };
  const wildcard = text.startsWith('*.');
  const rest = wildcard ? text.slice(2) : text;
  if (rest.includes('*')) return { ok: false, reason: 'only "*" or a leading "*." may be a wildcard' };
  const domain = parseDomain(rest);
  if (!domain.ok) return domain;
  if (domain.value.startsWith('[')) {
    if (wildcard) return { ok: false, reason: 'an address literal has no subdomains' };
  }
  return { ok: true, value: wildcard ? `*.${domain.value}` : domain.value };
}

export const destinationSchema = z.string().transform((input, ctx) => {
  const parsed = parseDestination(input);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: `invalid destination "${input}": ${parsed.reason}` });
  return z.NEVER;
});

export const routeEntrySchema = z.object({ destination: destinationSchema, route: routeSchema });
export interface RouteEntry {
  readonly destination: string;
  readonly route: Route;
}

/** A route as one line for people (`smarthost relay.example:587 tls=required user=app`). */
export function describeRoute(route: Route): string {
  if (route.kind !== 'smarthost') return route.kind;
  const auth = route.user ? ` user=${route.user} password=$${route.passwordEnv}` : '';
  const host = route.host.includes(':') ? `[${route.host}]` : route.host;
  return `smarthost ${host}:${route.port} tls=${route.tls}${auth}`;
}
