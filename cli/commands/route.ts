/**
 * `strato route list|set|remove|test`: the outbound routing table (core/ports/route-table.ts;
 * list/set/remove are the use cases of core/admin/routes.ts),
 * which says per destination domain (`example.com`, `*.example.com`, `*`) how external mail is
 * relayed — by MX, through a smarthost, or through SES; destinations without a route use each
 * queue processor's STRATO_RELAY. Queue processors re-read the table every few seconds
 * (STRATO_QUEUE_CONTROL_MS). `route test <address>` says which route an address takes and which
 * hosts would be used (for MX, looked up now through the DNS settings of this environment).
 * Bad input (malformed destination, unknown kind, missing host, bad port, AUTH without TLS or
 * without a password variable) exits 2 before anything is written; removing a destination
 * without a route exits 1.
 */
import type { Command } from 'commander';
import { openDnsResolver } from '../../adapters/net/node-dns-resolver.ts';
import { NotFoundAdminError } from '../../core/admin/errors.ts';
import {
  destinationOf,
  listRoutes as listRouteTable,
  removeRoute as removeRouteEntry,
  setRoute as setRouteEntry,
} from '../../core/admin/routes.ts';
import { parseDnsConfig } from '../../core/config/dns-config.ts';
import { ENV } from '../../core/config/env-names.ts';
import { planMx } from '../../core/outbound/mx-plan.ts';
import { systemClock } from '../../core/ports/clock.ts';
import {
  describeRoute,
  ROUTE_KINDS,
  ROUTE_PASSWORD_ENV_PATTERN,
  type Route,
  routeSchema,
  SMARTHOST_TLS_MODES,
} from '../../core/ports/route-table.ts';
import { RouteIndex, recipientDomain } from '../../core/queue/route-match.ts';
import type { CliContext } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { formatFields } from '../output.ts';
import * as parse from '../parse.ts';

const DEFAULT_ROUTE = `each queue processor's own relay (${ENV.relay}; built-in: capture)`;

interface SetOptions {
  port?: string;
  tls?: string;
  user?: string;
  passwordEnv?: string;
}

export function registerRoute(program: Command, ctx: CliContext): void {
  const route = program
    .command('route')
    .description('the outbound routing table: how external mail is relayed per destination domain');
  route
    .command('list')
    .description('every route, sorted by destination')
    .action(() => listRoutes(ctx));
  route
    .command('set')
    .description('set or replace the route of a destination (taken up within seconds)')
    .argument('<destination>', 'a domain, *.domain (its subdomains) or * (every other destination)')
    .argument('<kind>', ROUTE_KINDS.join(' | '))
    .argument('[host]', 'smarthost only: host name or address, optionally host:port ([v6]:port)')
    .option('--port <n>', 'smarthost port (default 25; 465 with --tls implicit)')
    .option('--tls <mode>', `smarthost TLS: ${SMARTHOST_TLS_MODES.join(' | ')} (default starttls)`)
    .option('--user <name>', 'smarthost AUTH user (needs --password-env and --tls required or implicit)')
    .option(
      '--password-env <VAR>',
      'environment variable holding the AUTH password: STRATO_ROUTE_PASSWORD_<NAME>',
    )
    .addHelpText(
      'after',
      `
Kinds:
  mx          direct delivery to the destination's mail exchangers
  smarthost   through the given host (TLS: starttls = when offered, required = STARTTLS or fail,
              implicit = TLS from the first byte)
  ses         through Amazon SES (processes running with STRATO_STORAGE=aws)
The table holds no password: --password-env names a variable every queue processor must have in
its environment (a deployment secret); a processor without it defers that route's mail.
Matching: the exact domain, else the longest *.parent, else *, else
${DEFAULT_ROUTE}.

Examples:
  $ strato route set '*' mx
  $ strato route set partner.example smarthost relay.partner.example:587 --tls required \\
      --user strato --password-env STRATO_ROUTE_PASSWORD_PARTNER
  $ strato route set '*.corp.example' ses`,
    )
    .action((destination: string, kind: string, host: string | undefined, opts: SetOptions) =>
      setRoute(ctx, destination, kind, host, opts),
    );
  route
    .command('remove')
    .description('remove the route of a destination (its mail uses the next match again)')
    .argument('<destination>', 'as listed by "strato route list"')
    .action((destination: string) => removeRoute(ctx, destination));
  route
    .command('test')
    .description('which route an address takes and which hosts would be used (MX looked up now)')
    .argument('<address>', 'a recipient address')
    .action((address: string) => testRoute(ctx, address));
}

const destination = destinationOf;

async function listRoutes(ctx: CliContext): Promise<void> {
  const routes = await listRouteTable(await ctx.storage());
  ctx.out.resultTable(routes, {
    headers: ['DESTINATION', 'ROUTE'],
    rows: routes.map((r) => [r.destination, describeRoute(r.route)]),
    empty: `no routes: every destination uses ${DEFAULT_ROUTE}`,
  });
}

async function setRoute(
  ctx: CliContext,
  destInput: string,
  kindInput: string,
  host: string | undefined,
  opts: SetOptions,
): Promise<void> {
  const dest = destination(destInput);
  const route = routeFrom(parse.oneOf(kindInput, ROUTE_KINDS, 'route kind'), host, opts);
  const { route: stored, warnings } = await setRouteEntry(await ctx.storage(), dest, route);
  for (const w of warnings) ctx.io.stderr.write(`strato: warning: ${w}\n`);
  ctx.out.resultLine(
    stored,
    `route: ${stored.destination} → ${describeRoute(stored.route)} (queue processors pick it up within seconds)`,
  );
}

/** The route the command line describes, validated (UsageError naming the problem). */
function routeFrom(kind: Route['kind'], hostInput: string | undefined, opts: SetOptions): Route {
  if (kind !== 'smarthost') {
    const extra = [hostInput, opts.port, opts.tls, opts.user, opts.passwordEnv].some((v) => v !== undefined);
    if (extra)
      throw new UsageError(`a route of kind ${kind} takes no host, --port, --tls, --user or --password-env`);
    return { kind };
  }
  if (!hostInput)
    throw new UsageError('a smarthost route needs a host: route set <destination> smarthost <host[:port]>');
  const tls = opts.tls === undefined ? 'starttls' : parse.oneOf(opts.tls, SMARTHOST_TLS_MODES, 'TLS mode');
  const { host, port: inlinePort } = splitHostPort(hostInput);
  if (inlinePort !== undefined && opts.port !== undefined)
    throw new UsageError(`give the port once: in "${hostInput}" or with --port`);
  const portText = inlinePort ?? opts.port;
  const port = portText === undefined ? (tls === 'implicit' ? 465 : 25) : portNumber(portText);
  if (opts.passwordEnv !== undefined && !ROUTE_PASSWORD_ENV_PATTERN.test(opts.passwordEnv)) {
    throw new UsageError(
      `invalid --password-env "${opts.passwordEnv}": expected STRATO_ROUTE_PASSWORD_<NAME> (capitals, digits, _)`,
    );
  }
  const candidate = {
    kind,
    host,
    port,
    tls,
    ...(opts.user !== undefined ? { user: opts.user } : {}),
    ...(opts.passwordEnv !== undefined ? { passwordEnv: opts.passwordEnv } : {}),
  };
  const parsed = routeSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues.at(-1);
    const message =
      issue?.path[0] === 'host'
        ? `invalid smarthost host "${host}": ${issue.message}`
        : (issue?.message ?? 'invalid route');
    throw new UsageError(`invalid smarthost route: ${message}`);
  }
  return parsed.data;
}

function splitHostPort(input: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(input);
  if (v6) return { host: v6[1] as string, ...(v6[2] !== undefined ? { port: v6[2] } : {}) };
  const colons = input.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = input.split(':') as [string, string];
    return { host, port };
  }
  return { host: input };
}

function portNumber(input: string): number {
  const n = /^\d{1,5}$/.test(input) ? Number(input) : Number.NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`invalid port "${input}": expected 1 to 65535`);
  return n;
}

async function removeRoute(ctx: CliContext, destInput: string): Promise<void> {
  const dest = destination(destInput);
  const removed = await removeRouteEntry(await ctx.storage(), dest).catch((err: unknown) => {
    if (err instanceof NotFoundAdminError) throw new CliError(`${err.message} (see "strato route list")`);
    throw err;
  });
  ctx.out.resultLine(removed, `route: ${dest} removed`);
}

interface HostLine {
  readonly host: string;
  readonly port?: number;
  readonly preference?: number;
  readonly addresses?: readonly string[];
}

async function testRoute(ctx: CliContext, input: string): Promise<void> {
  const address = parse.address(input);
  const domain = recipientDomain(address);
  const storage = await ctx.storage();
  if (await storage.directory.getDomain(domain)) {
    ctx.out.resultLine(
      { address, domain, hosted: true, destination: null, route: null, hosts: [] },
      `${address}: ${domain} is hosted here; its mail is delivered to its accounts, no route applies`,
    );
    return;
  }
  const entry = new RouteIndex(await storage.control.listRoutes()).match(domain);
  const route = entry?.route;
  const { hosts, note } = route ? await hostsOf(ctx, route, domain) : { hosts: [], note: undefined };
  const value = {
    address,
    domain,
    hosted: false,
    destination: entry?.destination ?? null,
    route: route ?? null,
    hosts,
    ...(note ? { note } : {}),
  };
  ctx.out.result(value, () => {
    const fields: [string, string][] = [
      ['address', address],
      ['destination', entry ? entry.destination : 'no route matches'],
      ['route', route ? describeRoute(route) : DEFAULT_ROUTE],
    ];
    for (const h of hosts) fields.push(['host', formatHost(h)]);
    if (note) fields.push(['note', note]);
    ctx.out.line(formatFields(fields));
  });
}

function formatHost(h: HostLine): string {
  if (h.addresses) return `${h.preference} ${h.host} (${h.addresses.join(', ')})`;
  return h.port ? `${h.host}:${h.port}` : h.host;
}

/** The hosts a route would use for `domain` now. */
async function hostsOf(
  ctx: CliContext,
  route: Route,
  domain: string,
): Promise<{ hosts: HostLine[]; note?: string }> {
  if (route.kind === 'smarthost') {
    const auth = route.user ? `, AUTH as ${route.user} with $${route.passwordEnv}` : '';
    return { hosts: [{ host: route.host, port: route.port }], note: `TLS ${route.tls}${auth}` };
  }
  if (route.kind === 'ses') {
    return {
      hosts: [{ host: 'Amazon SES' }],
      note: 'the SES API of the deployment region (STRATO_STORAGE=aws)',
    };
  }
  const dns = openDnsResolver(parseDnsConfig(ctx.io.env), systemClock);
  const plan = await planMx(dns, domain);
  if (plan.kind === 'null-mx')
    return { hosts: [], note: `${domain} accepts no mail (null MX): mail to it bounces` };
  if (plan.kind === 'temporary') return { hosts: [], note: `${plan.why}: mail to it would be retried` };
  return {
    hosts: plan.hosts.map((h) => ({ host: h.name, preference: h.preference, addresses: h.addresses })),
    note: `tried in this order (equal preferences shuffled), port ${ctx.io.env[ENV.mxRelayPort] ?? 25}`,
  };
}
