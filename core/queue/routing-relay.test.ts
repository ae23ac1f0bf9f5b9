/**
 * RoutingRelay on the real SQLite ClusterControl: recipients split by route and merged back, the
 * default relay for unmatched domains, table changes seen once the refresh time has passed, an
 * unusable route or a failing relay deferring only its own recipients, and a table that cannot
 * be read deferring everything (never the default relay) unless an earlier read is at hand.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TempStorage } from '../../adapters/embedded/test-support.ts';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import { delivered, type RecipientOutcome } from '../mail/outcome.ts';
import { silentLogger } from '../ports/logger.ts';
import type { OutboundRelay, RelayRequest } from '../ports/outbound-relay.ts';
import type { Route } from '../ports/route-table.ts';
import { routeKey } from './route-match.ts';
import { type RouteRelay, type RouteRelays, RoutingRelay } from './routing-relay.ts';

/** A relay that records what it was given and delivers (or does what `behave` says). */
class Recording implements OutboundRelay {
  readonly calls: string[][] = [];
  constructor(
    readonly name: string,
    private readonly behave: (rcpts: readonly string[]) => Map<string, RecipientOutcome> | 'throw' = (r) =>
      new Map(r.map((x) => [x, delivered({ code: 250, enhanced: '2.0.0', text: `via ${name}` })])),
  ) {}
  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    this.calls.push([...req.recipients]);
    const out = this.behave(req.recipients);
    if (out === 'throw') throw new Error(`${this.name} exploded`);
    return out;
  }
}

class Relays implements RouteRelays {
  readonly built = new Map<string, Recording>();
  retained: string[] = [];
  unusable = new Map<string, string>();
  async relayFor(route: Route): Promise<RouteRelay> {
    const key = routeKey(route);
    const why = this.unusable.get(key);
    if (why) return { unusable: why };
    let relay = this.built.get(key);
    if (!relay) {
      relay = new Recording(key);
      this.built.set(key, relay);
    }
    return relay;
  }
  retain(routes: readonly Route[]): void {
    this.retained = routes.map(routeKey);
  }
}

const request = (recipients: string[]): RelayRequest => ({
  jobId: 'job-1',
  mailFrom: 'alice@local.example',
  recipients,
  openBody: async () => Readable.from(['Subject: x\r\n\r\nhi\r\n']),
});

const texts = (out: ReadonlyMap<string, RecipientOutcome>) =>
  Object.fromEntries([...out].map(([r, o]) => [r, `${o.kind} ${o.reply?.text ?? ''}`]));

const smarthost: Route = { kind: 'smarthost', host: 'relay.example', port: 2525, tls: 'starttls' };

let t: TempStorage;
let relays: Relays;
let fallback: Recording;
let failRead: boolean;
let routing: RoutingRelay;

beforeEach(async () => {
  t = await tempStorage();
  relays = new Relays();
  fallback = new Recording('default');
  failRead = false;
  const control = t.storage.control;
  routing = new RoutingRelay({
    control: {
      listRoutes: () => (failRead ? Promise.reject(new Error('storage down')) : control.listRoutes()),
    },
    relays,
    fallback,
    clock: t.clock,
    refreshMs: 2_000,
    logger: silentLogger,
  });
});
afterEach(() => t.cleanup());

describe('RoutingRelay', () => {
  it('sends each route its recipients once and merges the outcomes', async () => {
    await t.storage.control.setRoute('a.example', smarthost);
    await t.storage.control.setRoute('*.b.example', smarthost);
    await t.storage.control.setRoute('c.example', { kind: 'mx' });
    const out = await routing.send(
      request(['x@a.example', 'y@c.example', 'z@sub.b.example', 'w@other.example', 'v@A.example']),
    );
    expect(texts(out)).toEqual({
      'x@a.example': `delivered via ${routeKey(smarthost)}`,
      'v@A.example': `delivered via ${routeKey(smarthost)}`,
      'z@sub.b.example': `delivered via ${routeKey(smarthost)}`,
      'y@c.example': 'delivered via mx',
      'w@other.example': 'delivered via default',
    });
    // Two destinations with the same smarthost: one relay, one transaction.
    expect(relays.built.get(routeKey(smarthost))?.calls).toEqual([
      ['x@a.example', 'z@sub.b.example', 'v@A.example'],
    ]);
    expect(relays.built.get('mx')?.calls).toEqual([['y@c.example']]);
    expect(fallback.calls).toEqual([['w@other.example']]);
    expect(relays.retained.sort()).toEqual(['mx', routeKey(smarthost), routeKey(smarthost)].sort());
  });

  it('uses the default relay for everything while the table is empty', async () => {
    const out = await routing.send(request(['a@x.example', 'b@y.example']));
    expect(fallback.calls).toEqual([['a@x.example', 'b@y.example']]);
    expect(out.size).toBe(2);
  });

  it('sees a changed table once the refresh time has passed, not before', async () => {
    await routing.send(request(['a@x.example']));
    await t.storage.control.setRoute('x.example', { kind: 'ses' });
    t.clock.advance(1_999);
    await routing.send(request(['a@x.example']));
    expect(fallback.calls).toHaveLength(2);
    t.clock.advance(1);
    await routing.send(request(['a@x.example']));
    expect(fallback.calls).toHaveLength(2);
    expect(relays.built.get('ses')?.calls).toEqual([['a@x.example']]);
    await t.storage.control.removeRoute('x.example');
    t.clock.advance(2_000);
    await routing.send(request(['a@x.example']));
    expect(fallback.calls).toHaveLength(3);
    expect(relays.retained).toEqual([]);
  });

  it('defers the recipients of an unusable route or a failing relay, and only those', async () => {
    await t.storage.control.setRoute('ses.example', { kind: 'ses' });
    await t.storage.control.setRoute('boom.example', smarthost);
    relays.unusable.set('ses', 'no SES access on this process');
    relays.built.set(routeKey(smarthost), new Recording('boom', () => 'throw'));
    const out = await routing.send(request(['a@ses.example', 'b@boom.example', 'c@fine.example']));
    expect(out.get('a@ses.example')).toMatchObject({
      kind: 'temporary',
      reply: {
        code: 451,
        enhanced: '4.3.5',
        text: 'Route for ses.example cannot be used by this queue processor: no SES access on this process',
      },
    });
    expect(out.get('b@boom.example')).toMatchObject({
      kind: 'temporary',
      reply: {
        code: 451,
        text: 'Relay through smarthost relay.example:2525 tls=starttls failed: boom exploded',
      },
    });
    expect(out.get('c@fine.example')?.kind).toBe('delivered');
  });

  it('defers a recipient its relay gave no outcome for', async () => {
    await t.storage.control.setRoute('x.example', { kind: 'mx' });
    relays.built.set('mx', new Recording('mx', () => new Map()));
    const out = await routing.send(request(['a@x.example']));
    expect(out.get('a@x.example')).toMatchObject({ kind: 'temporary', reply: { code: 451 } });
  });

  it('defers everything while the table was never read; keeps the last table when a read fails', async () => {
    failRead = true;
    const first = await routing.send(request(['a@x.example', 'b@y.example']));
    expect(texts(first)).toEqual({
      'a@x.example': 'temporary Outbound routing table could not be read: storage down',
      'b@y.example': 'temporary Outbound routing table could not be read: storage down',
    });
    expect(fallback.calls).toEqual([]);

    failRead = false;
    await t.storage.control.setRoute('x.example', { kind: 'mx' });
    t.clock.advance(2_000);
    await routing.send(request(['a@x.example']));
    failRead = true;
    t.clock.advance(2_000);
    const later = await routing.send(request(['a@x.example', 'b@y.example']));
    expect(texts(later)).toEqual({
      'a@x.example': 'delivered via mx',
      'b@y.example': 'delivered via default',
    });
  });
});
