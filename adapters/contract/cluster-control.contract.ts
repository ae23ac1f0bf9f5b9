/**
 * ClusterControl contract: queue-processing settings start empty, patches set and clear single
 * fields without touching the others, invalid values are refused before anything is written;
 * frontend heartbeats upsert live for a TTL judged by the injected clock, deregister removes at
 * once, listLive hides expired ones, listRecent keeps them for a day; lists are sorted by id.
 * The routing table: routes set, replaced and removed per destination (normalised), listed
 * sorted by destination; invalid destinations and routes are refused with nothing written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterControl, FrontendHeartbeat } from '../../core/ports/cluster-control.ts';
import { FRONTEND_FORGET_MS } from '../../core/ports/cluster-control.ts';
import type { Route } from '../../core/ports/route-table.ts';
import type { TestClock } from './test-clock.ts';

export interface ClusterControlFixture {
  readonly control: ClusterControl;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

const beat = (id: string, extra: Partial<FrontendHeartbeat> = {}): FrontendHeartbeat => ({
  id,
  group: 'default',
  address: 'host-1',
  sessions: 0,
  processing: true,
  jobsInFlight: 0,
  concurrency: 16,
  version: '1.2.3',
  startedAt: 1_000,
  ...extra,
});

export function clusterControlContract(name: string, make: () => Promise<ClusterControlFixture>): void {
  describe(`ClusterControl contract: ${name}`, () => {
    let fx: ClusterControlFixture;
    let control: ClusterControl;
    let clock: TestClock;
    beforeEach(async () => {
      fx = await make();
      control = fx.control;
      clock = fx.clock;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('stores, patches and clears queue-processing settings field by field', async () => {
      expect(await control.getQueueSettings()).toEqual({});
      expect(
        await control.updateQueueSettings({ processing: ['fe-1@h', 'processing'], concurrency: 4 }),
      ).toEqual({
        processing: ['fe-1@h', 'processing'],
        concurrency: 4,
      });
      await control.updateQueueSettings({ generatedMail: 'forward' });
      await control.updateQueueSettings({ concurrency: null });
      await control.updateQueueSettings({ processing: 'none' });
      expect(await control.getQueueSettings()).toEqual({ processing: 'none', generatedMail: 'forward' });
      expect(await control.updateQueueSettings({})).toEqual({ processing: 'none', generatedMail: 'forward' });
    });

    it('stores and clears the retry schedule and the message lifetime', async () => {
      const retry = { firstSeconds: 60, maxSeconds: 1800 };
      expect(await control.updateQueueSettings({ retry, lifetimeSeconds: 86_400 })).toEqual({
        retry,
        lifetimeSeconds: 86_400,
      });
      expect(await control.getQueueSettings()).toEqual({ retry, lifetimeSeconds: 86_400 });
      await control.updateQueueSettings({ retry: null });
      expect(await control.getQueueSettings()).toEqual({ lifetimeSeconds: 86_400 });
    });

    it('refuses invalid values and leaves the stored settings as they were', async () => {
      await control.updateQueueSettings({ processing: 'all', concurrency: 2 });
      const bad = [
        { concurrency: 0 },
        { concurrency: 1.5 },
        { processing: [] as string[] },
        { processing: ['has space'] },
        { processing: ['all'] },
        { generatedMail: 'smtp' as 'queue' },
        { retry: { firstSeconds: 600, maxSeconds: 60 } },
        { retry: { firstSeconds: 0, maxSeconds: 60 } },
        { lifetimeSeconds: 0 },
      ];
      for (const patch of bad) await expect(control.updateQueueSettings(patch)).rejects.toThrow();
      expect(await control.getQueueSettings()).toEqual({ processing: 'all', concurrency: 2 });
    });

    it('lists heartbeating frontends sorted by id, live until their TTL runs out', async () => {
      expect(await control.listLiveFrontends()).toEqual([]);
      const t = clock.now();
      await control.heartbeatFrontend(
        beat('fe-2@h', { group: 'intake', sessions: 3, processing: false }),
        10_000,
      );
      await control.heartbeatFrontend(beat('fe-1@h', { jobsInFlight: 5 }), 5_000);
      const live = await control.listLiveFrontends();
      expect(live).toEqual([
        { ...beat('fe-1@h', { jobsInFlight: 5 }), seenAt: t, expiresAt: t + 5_000 },
        {
          ...beat('fe-2@h', { group: 'intake', sessions: 3, processing: false }),
          seenAt: t,
          expiresAt: t + 10_000,
        },
      ]);
      clock.advance(6_000);
      await control.heartbeatFrontend(beat('fe-2@h', { sessions: 1 }), 10_000);
      expect((await control.listLiveFrontends()).map((f) => `${f.id}:${f.sessions}`)).toEqual(['fe-2@h:1']);
      expect((await control.listRecentFrontends()).map((f) => f.id)).toEqual(['fe-1@h', 'fe-2@h']);
      clock.advance(FRONTEND_FORGET_MS + 10_000);
      expect((await control.listRecentFrontends()).map((f) => f.id)).toEqual([]);
    });

    it('deregisters at once, idempotently', async () => {
      await control.heartbeatFrontend(beat('a'), 60_000);
      await control.deregisterFrontend('a');
      await control.deregisterFrontend('a');
      await control.deregisterFrontend('never-seen');
      expect(await control.listLiveFrontends()).toEqual([]);
      expect(await control.listRecentFrontends()).toEqual([]);
    });

    it('sets, replaces, lists and removes routes per destination', async () => {
      expect(await control.listRoutes()).toEqual([]);
      const relay: Route = {
        kind: 'smarthost',
        host: 'Relay.Example.NET',
        port: 587,
        tls: 'required',
        user: 'app',
        passwordEnv: 'STRATO_ROUTE_PASSWORD_RELAY',
      };
      expect(await control.setRoute('Partner.Example.', relay)).toEqual({
        destination: 'partner.example',
        route: { ...relay, host: 'relay.example.net' },
      });
      await control.setRoute('*', { kind: 'mx' });
      await control.setRoute('*.corp.example', { kind: 'ses' });
      await control.setRoute('partner.example', { kind: 'mx' });
      expect(await control.listRoutes()).toEqual([
        { destination: '*', route: { kind: 'mx' } },
        { destination: '*.corp.example', route: { kind: 'ses' } },
        { destination: 'partner.example', route: { kind: 'mx' } },
      ]);
      expect(await control.removeRoute('PARTNER.example')).toBe(true);
      expect(await control.removeRoute('partner.example')).toBe(false);
      expect((await control.listRoutes()).map((r) => r.destination)).toEqual(['*', '*.corp.example']);
      // Routes live beside the queue settings without touching them.
      expect(await control.getQueueSettings()).toEqual({});
    });

    it('refuses invalid destinations and routes and leaves the table as it was', async () => {
      await control.setRoute('a.example', { kind: 'mx' });
      const smarthost = { kind: 'smarthost', host: 'relay.example', port: 25, tls: 'starttls' };
      const bad: [string, unknown][] = [
        ['not a domain', { kind: 'mx' }],
        ['a.*.example', { kind: 'mx' }],
        ['**', { kind: 'mx' }],
        ['b.example', { kind: 'pigeon' }],
        ['b.example', { kind: 'smarthost', port: 25, tls: 'starttls' }],
        ['b.example', { ...smarthost, port: 0 }],
        ['b.example', { ...smarthost, port: 70000 }],
        ['b.example', { ...smarthost, host: 'bad host' }],
        ['b.example', { ...smarthost, tls: 'maybe' }],
        ['b.example', { ...smarthost, user: 'u' }],
        ['b.example', { ...smarthost, user: 'u', passwordEnv: 'STRATO_ROUTE_PASSWORD_X' }],
        ['b.example', { ...smarthost, tls: 'required', user: 'u', passwordEnv: 'AWS_SECRET_ACCESS_KEY' }],
        ['b.example', { ...smarthost, password: 'in-the-table' }],
        ['b.example', { kind: 'mx', host: 'x' }],
      ];
      for (const [destination, route] of bad) {
        await expect(control.setRoute(destination, route as Route), destination).rejects.toThrow();
      }
      await expect(control.removeRoute('not a domain')).rejects.toThrow();
      expect(await control.listRoutes()).toEqual([{ destination: 'a.example', route: { kind: 'mx' } }]);
    });
  });
}
