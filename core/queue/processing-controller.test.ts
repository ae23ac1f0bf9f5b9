/**
 * The processing controller on the real embedded ClusterControl: the decision per selector,
 * switching on and off as the stored settings change (draining the jobs held first), concurrency
 * applied without a restart, a failed settings read keeping the state, and the heartbeat.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import type { ClusterControl } from '../ports/cluster-control.ts';
import type { Logger } from '../ports/logger.ts';
import { decideProcessing, ProcessingController, type ProcessingSwitch } from './processing-controller.ts';

const self = { id: 'fe-1@h', group: 'processing', address: 'h', version: '0.1.0', startedAt: 5 };

/** A processor stand-in whose held jobs the test finishes by hand. */
function switchBoard() {
  const s = {
    running: false,
    concurrency: 0,
    held: 0,
    release: () => {},
    calls: [] as string[],
  };
  const sw: ProcessingSwitch = {
    start: () => {
      s.running = true;
      s.calls.push('start');
    },
    stop: () => {
      s.running = false;
      s.calls.push('stop');
      return s.held === 0
        ? Promise.resolve()
        : new Promise<void>((r) => {
            s.release = () => {
              s.held = 0;
              r();
            };
          });
    },
    setConcurrency: (n) => {
      s.concurrency = n;
    },
    get activeJobs() {
      return s.held;
    },
  };
  return { s, sw };
}

function eventsLogger(events: { event: string; [k: string]: unknown }[]): Logger {
  const log: Logger = {
    debug: (f) => events.push(f),
    info: (f) => events.push(f),
    warn: (f) => events.push(f),
    error: (f) => events.push(f),
    child: () => log,
  };
  return log;
}

let t: TempStorage | undefined;
afterEach(async () => t?.cleanup());

async function setup(defaults = { processing: true, concurrency: 8 }, control?: ClusterControl) {
  t = await tempStorage();
  const { s, sw } = switchBoard();
  const events: { event: string; [k: string]: unknown }[] = [];
  const ctl = new ProcessingController({
    control: control ?? t.storage.control,
    processor: sw,
    self,
    defaults,
    sessions: () => 3,
    clock: t.clock,
    logger: eventsLogger(events),
    heartbeatTtlMs: 10_000,
  });
  return { s, ctl, events, storage: t.storage };
}

describe('decideProcessing', () => {
  it('follows the selector, and the environment default when unset', () => {
    const me = { id: 'fe-1@h', group: 'g' };
    expect(decideProcessing(undefined, true, me).on).toBe(true);
    expect(decideProcessing(undefined, false, me).on).toBe(false);
    expect(decideProcessing('all', false, me).on).toBe(true);
    expect(decideProcessing('none', true, me).on).toBe(false);
    expect(decideProcessing(['fe-1@h'], false, me)).toEqual({
      on: true,
      reason: expect.stringContaining('fe-1@h'),
    });
    expect(decideProcessing(['other', 'g'], false, me)).toEqual({
      on: true,
      reason: expect.stringContaining('group (g)'),
    });
    expect(decideProcessing(['fe-2@h', 'intake'], true, me).on).toBe(false);
    // A deployment whose queue Lambda processes the queue: no cluster setting switches it on.
    expect(decideProcessing('all', false, me, false).on).toBe(false);
    expect(decideProcessing(['fe-1@h'], true, me, false).on).toBe(false);
  });
});

describe('ProcessingController', () => {
  it('starts on the default, stops when switched off after draining, and heartbeats its state', async () => {
    const { s, ctl, events, storage } = await setup();
    await ctl.tick();
    expect(s.running).toBe(true);
    expect(s.concurrency).toBe(8);
    expect(events.map((e) => e.event)).toContain('queue.processing_enabled');
    const [beat] = await storage.control.listLiveFrontends();
    expect(beat).toMatchObject({ ...self, sessions: 3, processing: true, jobsInFlight: 0, concurrency: 8 });

    s.held = 2;
    await storage.control.updateQueueSettings({ processing: ['intake'] });
    await ctl.tick();
    expect(s.calls).toEqual(['start', 'stop']);
    expect(events.map((e) => e.event)).toContain('queue.processing_stopping');
    expect(events.map((e) => e.event)).not.toContain('queue.processing_disabled');
    // Still draining: heartbeats go on and say so; switching on again waits for the drain.
    expect((await storage.control.listLiveFrontends())[0]).toMatchObject({
      processing: false,
      jobsInFlight: 2,
    });
    await storage.control.updateQueueSettings({ processing: ['processing'] });
    await ctl.tick();
    expect(s.calls).toEqual(['start', 'stop']);
    s.release();
    await new Promise((r) => setImmediate(r));
    expect(events.map((e) => e.event)).toContain('queue.processing_disabled');
    await ctl.tick();
    expect(s.calls).toEqual(['start', 'stop', 'start']);
  });

  it('applies concurrency changes without a restart, and clearing returns to the default', async () => {
    const { s, ctl, storage } = await setup();
    await ctl.tick();
    await storage.control.updateQueueSettings({ concurrency: 2 });
    await ctl.tick();
    expect(s.concurrency).toBe(2);
    expect(s.calls).toEqual(['start']);
    await storage.control.updateQueueSettings({ concurrency: null });
    await ctl.tick();
    expect(s.concurrency).toBe(8);
  });

  it('keeps its state when the settings cannot be read', async () => {
    let fail = false;
    const t0 = await tempStorage();
    const real = t0.storage.control;
    const flaky: ClusterControl = Object.assign(Object.create(real) as ClusterControl, {
      getQueueSettings: () => (fail ? Promise.reject(new Error('storage down')) : real.getQueueSettings()),
    });
    try {
      const { s, ctl, events } = await setup({ processing: false, concurrency: 4 }, flaky);
      await real.updateQueueSettings({ processing: 'all' });
      await ctl.tick();
      expect(s.running).toBe(true);
      fail = true;
      await real.updateQueueSettings({ processing: 'none' });
      await ctl.tick();
      expect(s.running).toBe(true);
      expect(events.map((e) => e.event)).toContain('queue.settings_read_failed');
    } finally {
      await t0.cleanup();
    }
  });

  it('stops on request: drains, deregisters', async () => {
    const { s, ctl, storage } = await setup();
    await ctl.start(60_000);
    expect(await storage.control.listLiveFrontends()).toHaveLength(1);
    await ctl.stop();
    expect(s.running).toBe(false);
    expect(await storage.control.listLiveFrontends()).toEqual([]);
  });
});
