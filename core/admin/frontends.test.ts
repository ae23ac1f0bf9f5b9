/** The topology use cases on real embedded storage: live and recently gone frontends, live backends. */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { listBackends, listFrontends } from './frontends.ts';

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

const beat = (id: string) => ({
  id,
  group: 'g',
  sessions: 1,
  processing: true,
  jobsInFlight: 2,
  concurrency: 4,
  version: '0.1.0',
  startedAt: 0,
});

describe('listFrontends / listBackends', () => {
  it('lists live frontends, recently gone ones on request, and live backends by id', async () => {
    t = await tempStorage();
    const { control, backends } = t.storage;
    await control.heartbeatFrontend(beat('fe-2@h'), 60_000);
    await control.heartbeatFrontend(beat('fe-1@h'), 1_000);
    t.clock.advance(5_000);
    const now = t.clock.now();
    expect((await listFrontends(t.storage, { now })).map((f) => [f.id, f.live])).toEqual([['fe-2@h', true]]);
    const recent = await listFrontends(t.storage, { recent: true, now });
    expect(recent.map((f) => [f.id, f.live])).toEqual([
      ['fe-1@h', false],
      ['fe-2@h', true],
    ]);
    expect(recent[1]).toMatchObject({
      sessions: 1,
      processing: true,
      jobsInFlight: 2,
      concurrency: 4,
      version: '0.1.0',
    });
    await backends.heartbeat({ id: 'b2', address: '127.0.0.1:2', kind: 'lmtp', accountsOpen: 3 }, 60_000);
    await backends.heartbeat({ id: 'b1', address: '127.0.0.1:1', kind: 'lmtp' }, 60_000);
    expect((await listBackends(t.storage)).map((b) => [b.id, b.accountsOpen])).toEqual([
      ['b1', undefined],
      ['b2', 3],
    ]);
  });
});
