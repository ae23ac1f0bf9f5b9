/**
 * The relays behind the routing table (core/queue/routing-relay.ts), one per distinct route,
 * built on first use and kept: `mx` is one direct-MX relay for every MX route (the process's own
 * when STRATO_RELAY=mx), `ses` one SES relay (the process's own when STRATO_RELAY=ses), and each
 * distinct smarthost (host, port, TLS mode, user, password variable) its own pooled SMTP relay,
 * shared by every destination that names it. A smarthost no longer in the table is closed once
 * the sends in flight through it are done.
 *
 * Failure: a route this process cannot use is answered `{ unusable: why }`, never thrown: SES
 * without AWS clients (STRATO_STORAGE=aws), a smarthost whose password variable
 * (STRATO_ROUTE_PASSWORD_<NAME>) is not set in this process's environment. A relay that fails
 * to build is not kept, so the next message tries again.
 */
import { SmarthostRelay } from '../adapters/net/smarthost-relay.ts';
import type { DnsConfig } from '../core/config/dns-config.ts';
import { parseDnsConfig } from '../core/config/dns-config.ts';
import type { Env } from '../core/config/parse.ts';
import type { QueueConfig } from '../core/config/queue-config.ts';
import type { Clock } from '../core/ports/clock.ts';
import type { Logger } from '../core/ports/logger.ts';
import type { OutboundRelay, RelayRequest } from '../core/ports/outbound-relay.ts';
import type { Route, SmarthostRoute } from '../core/ports/route-table.ts';
import { routeKey } from '../core/queue/route-match.ts';
import type { RouteRelay, RouteRelays } from '../core/queue/routing-relay.ts';
import { RoutingRelay } from '../core/queue/routing-relay.ts';
import type { ProcessStorage } from './open-storage.ts';

type Closable = OutboundRelay & { close?(): void | Promise<void> };

export interface RouteRelaysOptions {
  readonly config: QueueConfig;
  readonly storage: ProcessStorage;
  readonly hostname: string;
  /** Where smarthost passwords are read (the process's environment). */
  readonly env: Env;
  readonly dns?: DnsConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The process's own relay (STRATO_RELAY): reused by routes of the same kind (mx, ses). */
  readonly own: Closable;
}

/** A built relay and the sends in flight through it (a retired one closes when they are done). */
interface Slot {
  readonly relay: Closable;
  inFlight: number;
  retired: boolean;
}

export class ProcessRouteRelays implements RouteRelays {
  private readonly slots = new Map<string, Promise<Slot>>();

  constructor(private readonly opts: RouteRelaysOptions) {}

  /** How many route relays are kept now (besides the process's own). */
  get size(): number {
    return this.slots.size;
  }

  async relayFor(route: Route): Promise<RouteRelay> {
    if (route.kind === this.opts.config.relay && route.kind !== 'smarthost') return this.opts.own;
    const unusable = this.unusable(route);
    if (unusable) return { unusable };
    const key = routeKey(route);
    let slot = this.slots.get(key);
    if (!slot) {
      slot = this.build(route).then((relay) => ({ relay, inFlight: 0, retired: false }));
      this.slots.set(key, slot);
      slot.catch(() => this.slots.delete(key));
    }
    const ready = await slot;
    return { send: (req: RelayRequest) => this.sendOn(ready, req) };
  }

  retain(routes: readonly Route[]): void {
    const keep = new Set(routes.filter((r) => r.kind === 'smarthost').map(routeKey));
    for (const [key, slot] of this.slots) {
      if (!key.startsWith('smarthost ') || keep.has(key)) continue;
      this.slots.delete(key);
      slot.then(
        (s) => {
          s.retired = true;
          if (s.inFlight === 0) void s.relay.close?.();
        },
        () => {},
      );
    }
  }

  async close(): Promise<void> {
    const slots = await Promise.allSettled([...this.slots.values()]);
    this.slots.clear();
    for (const s of slots) if (s.status === 'fulfilled') await s.value.relay.close?.();
  }

  private async sendOn(slot: Slot, req: RelayRequest) {
    slot.inFlight += 1;
    try {
      return await slot.relay.send(req);
    } finally {
      slot.inFlight -= 1;
      if (slot.retired && slot.inFlight === 0) void slot.relay.close?.();
    }
  }

  /** Why this process cannot use the route, or undefined. */
  private unusable(route: Route): string | undefined {
    if (route.kind === 'ses' && !this.opts.storage.clients) {
      return 'SES is not available here (it needs STRATO_STORAGE=aws)';
    }
    if (route.kind === 'smarthost' && route.passwordEnv && !this.opts.env[route.passwordEnv]) {
      return `the smarthost password variable ${route.passwordEnv} is not set in this process's environment`;
    }
    return undefined;
  }

  private async build(route: Route): Promise<Closable> {
    const { config, hostname, clock, logger } = this.opts;
    this.opts.logger.info({ event: 'relay.route_relay_built', route: routeKey(route) });
    if (route.kind === 'smarthost') return this.smarthost(route);
    if (route.kind === 'mx') {
      const { createMxRelay } = await import('./mx-relay.ts');
      return createMxRelay(config, this.opts.dns ?? parseDnsConfig(this.opts.env), hostname, clock, logger);
    }
    const { createSesRelay } = await import('./ses-relay.ts');
    return createSesRelay(config, this.opts.storage, hostname, logger);
  }

  private smarthost(route: SmarthostRoute): SmarthostRelay {
    return new SmarthostRelay({
      host: route.host,
      port: route.port,
      secure: route.tls === 'implicit',
      requireTls: route.tls === 'required',
      heloName: this.opts.hostname,
      ...(route.user && route.passwordEnv
        ? { user: route.user, password: this.opts.env[route.passwordEnv] ?? '' }
        : {}),
    });
  }
}

/**
 * The process's relay as the queue uses it: the routing table first, its own relay
 * (STRATO_RELAY) for destinations without a route. `close()` closes every relay built.
 */
export function createRoutedRelay(opts: RouteRelaysOptions): OutboundRelay & { close(): Promise<void> } {
  const relays = new ProcessRouteRelays(opts);
  const routing = new RoutingRelay({
    control: opts.storage.control,
    relays,
    fallback: opts.own,
    clock: opts.clock,
    refreshMs: opts.config.controlIntervalMs,
    logger: opts.logger.child({ component: 'routing-relay' }),
  });
  return {
    send: (req) => routing.send(req),
    async close() {
      await relays.close();
      await opts.own.close?.();
    },
  };
}
