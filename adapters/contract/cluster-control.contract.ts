/**
 * ClusterControl contract: queue-processing settings start empty, patches set and clear single
 * fields without touching the others, invalid values are refused before anything is written;
 * frontend heartbeats upsert live for a TTL judged by the injected clock, deregister removes at
 * once, listLive hides expired ones, listRecent keeps them for a day; lists are sorted by id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterControl, FrontendHeartbeat } from '../../core/ports/cluster-control.ts';
import { FRONTEND_FORGET_MS } from '../../core/ports/cluster-control.ts';
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

    it('refuses invalid values and leaves the stored settings as they were', async () => {
      await control.updateQueueSettings({ processing: 'all', concurrency: 2 });
      const bad = [
        { concurrency: 0 },
        { concurrency: 1.5 },
        { processing: [] as string[] },
        { processing: ['has space'] },
        { processing: ['all'] },
        { generatedMail: 'smtp' as 'queue' },
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
  });
}
