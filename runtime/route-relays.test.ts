/**
 * ProcessRouteRelays: routes of the process's own kind reuse its relay; one relay per distinct
 * smarthost, shared by equal routes; SES without AWS clients and a password variable that is not
 * set are `unusable` with the reason; a smarthost relay delivers to a real SMTP sink on the
 * loopback and is dropped once it leaves the table (a later use builds a new one).
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../adapters/embedded/test-support.ts';
import { parseQueueConfig } from '../core/config/queue-config.ts';
import { delivered } from '../core/mail/outcome.ts';
import { systemClock } from '../core/ports/clock.ts';
import { silentLogger } from '../core/ports/logger.ts';
import type { OutboundRelay } from '../core/ports/outbound-relay.ts';
import type { Route } from '../core/ports/route-table.ts';
import { SmtpSink, startSinks } from '../test/support/smtp-sink.ts';
import { ProcessRouteRelays } from './route-relays.ts';

const own: OutboundRelay = { send: async (req) => new Map(req.recipients.map((r) => [r, delivered()])) };

let t: TempStorage;
beforeEach(async () => {
  t = await tempStorage();
});
afterEach(() => t.cleanup());

function relays(env: Record<string, string> = {}, relay = 'mx'): ProcessRouteRelays {
  return new ProcessRouteRelays({
    config: parseQueueConfig({ STRATO_RELAY: relay }),
    storage: t.storage,
    hostname: 'relay-test.local',
    env,
    clock: systemClock,
    logger: silentLogger,
    own,
  });
}

const smarthost = (port: number, extra: Partial<Route> = {}): Route =>
  ({ kind: 'smarthost', host: '127.0.0.1', port, tls: 'starttls', ...extra }) as Route;

describe('ProcessRouteRelays', () => {
  it("reuses the process's own relay for its kind and builds one relay per distinct smarthost", async () => {
    const r = relays();
    expect(await r.relayFor({ kind: 'mx' })).toBe(own);
    await r.relayFor(smarthost(2525));
    await r.relayFor(smarthost(2525));
    expect(r.size).toBe(1);
    await r.relayFor(smarthost(2526));
    expect(r.size).toBe(2);
    await r.close();
  });

  it('answers unusable for SES without AWS and for a password variable that is not set', async () => {
    const auth = smarthost(465, { tls: 'implicit', user: 'app', passwordEnv: 'STRATO_ROUTE_PASSWORD_APP' });
    expect(await relays().relayFor({ kind: 'ses' })).toEqual({
      unusable: 'SES is not available here (it needs STRATO_STORAGE=aws)',
    });
    expect(await relays().relayFor(auth)).toEqual({
      unusable:
        "the smarthost password variable STRATO_ROUTE_PASSWORD_APP is not set in this process's environment",
    });
    const withSecret = relays({ STRATO_ROUTE_PASSWORD_APP: 's3cret' });
    expect('send' in (await withSecret.relayFor(auth))).toBe(true);
    await withSecret.close();
  });

  it('delivers through a smarthost and drops it once it leaves the table', async () => {
    const sink = new SmtpSink('127.0.0.1');
    const port = await startSinks([sink]);
    const r = relays({}, 'capture');
    try {
      const relay = await r.relayFor(smarthost(port));
      if (!('send' in relay)) throw new Error(relay.unusable);
      const out = await relay.send({
        jobId: 'job-1',
        mailFrom: 'alice@local.example',
        recipients: ['bob@remote.example'],
        openBody: async () => Readable.from(['Subject: routed\r\n\r\nhi\r\n']),
      });
      expect(out.get('bob@remote.example')?.kind).toBe('delivered');
      expect(sink.messages.map((m) => m.rcpts)).toEqual([[{ address: 'bob@remote.example' }]]);
      r.retain([{ kind: 'mx' }]);
      expect(r.size).toBe(0);
      await r.relayFor(smarthost(port));
      expect(r.size).toBe(1);
      // mx is not this process's kind here (capture): a relay of its own, kept while routes change.
      await r.relayFor({ kind: 'mx' });
      r.retain([]);
      expect(r.size).toBe(1);
    } finally {
      await r.close();
      await sink.close();
    }
  });
});
