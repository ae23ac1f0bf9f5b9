/**
 * The outbound relay the queue uses: it splits a relay request's recipients by the routing
 * table (core/outbound/route-match.ts), sends each group through its route's relay (in
 * parallel), and merges the outcomes. Recipients no route matches go through the process's own
 * relay (STRATO_RELAY). The table is read through ClusterControl and trusted for `refreshMs`
 * (STRATO_QUEUE_CONTROL_MS), so `strato route set` reaches every processor within seconds,
 * without a restart.
 *
 * Failure: a route this process cannot use (SES without SES access, a password variable that
 * is not set) answers temporary with the reason for its recipients only; a relay that throws
 * answers temporary for its group; a recipient a relay leaves out is temporary. A failed table
 * read keeps the last table read (logged); with none read yet every recipient is temporary —
 * never the default relay, which might send mail somewhere its route forbids. Never throws.
 */
import { type RecipientOutcome, temporary } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Clock } from '../ports/clock.ts';
import type { ClusterControl } from '../ports/cluster-control.ts';
import type { Logger } from '../ports/logger.ts';
import type { OutboundRelay, RelayRequest } from '../ports/outbound-relay.ts';
import { describeRoute, type Route } from '../ports/route-table.ts';
import { RouteIndex, recipientDomain, routeKey } from './route-match.ts';

/** A route's relay, or why this process cannot use the route. */
export type RouteRelay = OutboundRelay | { readonly unusable: string };

/** Builds and keeps one relay per distinct route (runtime/route-relays.ts). */
export interface RouteRelays {
  /** The relay for a route, built on first use and kept, or why it cannot be used here. */
  relayFor(route: Route): Promise<RouteRelay>;
  /** The table now holds exactly these routes: relays of any other may be closed once idle. */
  retain(routes: readonly Route[]): void;
}

export interface RoutingRelayDeps {
  readonly control: Pick<ClusterControl, 'listRoutes'>;
  readonly relays: RouteRelays;
  /** The process's own relay (STRATO_RELAY), for destinations without a route. */
  readonly fallback: OutboundRelay;
  readonly clock: Clock;
  /** How long one read of the table is used before it is read again (ms). */
  readonly refreshMs: number;
  readonly logger: Logger;
}

interface Group {
  readonly route?: Route;
  readonly destinations: Set<string>;
  readonly recipients: string[];
}

type Outcomes = Map<string, RecipientOutcome>;

export class RoutingRelay implements OutboundRelay {
  private index: RouteIndex | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  private lastError = 'not read yet';
  private lastTable = '';

  constructor(private readonly deps: RoutingRelayDeps) {}

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const index = await this.table();
    if (!index) {
      const o = temporary(replies.routesUnreadable(this.lastError));
      return new Map(req.recipients.map((r) => [r, o]));
    }
    if (index.entries.length === 0)
      return this.sendGroup(req, { destinations: new Set(), recipients: [...req.recipients] });
    const out: Outcomes = new Map();
    const results = await Promise.all(
      [...this.split(index, req.recipients).values()].map((g) => this.sendGroup(req, g)),
    );
    for (const result of results) for (const [rcpt, o] of result) out.set(rcpt, o);
    return out;
  }

  /** The recipients grouped by the relay they take ('' = the process's own relay). */
  private split(index: RouteIndex, recipients: readonly string[]): Map<string, Group> {
    const groups = new Map<string, Group>();
    for (const rcpt of recipients) {
      const entry = index.match(recipientDomain(rcpt));
      const key = entry ? routeKey(entry.route) : '';
      let group = groups.get(key);
      if (!group) {
        group = { ...(entry ? { route: entry.route } : {}), destinations: new Set(), recipients: [] };
        groups.set(key, group);
      }
      if (entry) group.destinations.add(entry.destination);
      group.recipients.push(rcpt);
    }
    return groups;
  }

  private async sendGroup(req: RelayRequest, group: Group): Promise<Outcomes> {
    const name = group.route ? describeRoute(group.route) : 'the default relay';
    const all = (o: RecipientOutcome): Outcomes => new Map(group.recipients.map((r) => [r, o]));
    const relay = group.route
      ? await this.deps.relays.relayFor(group.route).catch((err: unknown) => ({
          unusable: `could not start its relay: ${err instanceof Error ? err.message : String(err)}`,
        }))
      : this.deps.fallback;
    if ('unusable' in relay) {
      const destinations = [...group.destinations].join(', ');
      this.deps.logger.warn({
        event: 'relay.route_unusable',
        queueId: req.jobId,
        destinations,
        why: relay.unusable,
      });
      return all(temporary(replies.routeUnusable(destinations, relay.unusable)));
    }
    if (group.route) {
      this.deps.logger.debug({
        event: 'relay.routed',
        queueId: req.jobId,
        route: name,
        recipients: group.recipients.length,
      });
    }
    let result: ReadonlyMap<string, RecipientOutcome>;
    try {
      result = await relay.send({ ...req, recipients: group.recipients });
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.deps.logger.warn({ event: 'relay.route_failed', queueId: req.jobId, route: name, why });
      return all(temporary(replies.relayFailed(name, why)));
    }
    const missing = temporary(replies.relayFailed(name, 'no outcome for the recipient'));
    return new Map(group.recipients.map((r) => [r, result.get(r) ?? missing]));
  }

  /** The table, read again once `refreshMs` has passed (one read at a time); undefined: never read. */
  private async table(): Promise<RouteIndex | undefined> {
    if (this.deps.clock.now() - this.readAt >= this.deps.refreshMs) {
      this.reading ??= this.refresh().finally(() => {
        this.reading = undefined;
      });
      await this.reading;
    }
    return this.index;
  }

  private async refresh(): Promise<void> {
    // The read counts from when it started: a send `refreshMs` after a change always sees it.
    const started = this.deps.clock.now();
    try {
      const entries = await this.deps.control.listRoutes();
      const text = JSON.stringify(entries);
      if (this.index && text !== this.lastTable) {
        this.deps.logger.info({ event: 'relay.routes_changed', routes: entries.length });
      }
      this.lastTable = text;
      this.index = new RouteIndex(entries);
      this.deps.relays.retain(entries.map((e) => e.route));
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.deps.logger.warn({
        event: 'relay.routes_read_failed',
        why: this.lastError,
        using: this.index ? 'the last table read' : 'none (recipients deferred)',
      });
    } finally {
      this.readAt = started;
    }
  }
}
