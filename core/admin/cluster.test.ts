/**
 * The queue-processing use cases on real embedded storage: the view with sources, patches set and
 * clear, refusals name their field and write nothing; and a stored retry schedule reaches a
 * running QueueProcessor through its ProcessingController (the next attempt of a deferred job
 * follows it), with the environment's schedule back once it is cleared.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { type Harness, SCHEDULE, startHarness } from '../../test/queue/harness.ts';
import { eventually } from '../../test/support/cluster.ts';
import type { RecipientOutcome } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { silentLogger } from '../ports/logger.ts';
import type { OutboundRelay } from '../ports/outbound-relay.ts';
import { ProcessingController } from '../queue/processing-controller.ts';
import { QueueProcessor } from '../queue/queue-processor.ts';
import { getQueueProcessing, updateQueueProcessing } from './cluster.ts';
import { InvalidInputError } from './errors.ts';

let t: TempStorage | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await t?.cleanup();
  await h?.close();
  t = h = undefined;
});

const heartbeat = (id: string, group: string) => ({
  id,
  group,
  sessions: 0,
  processing: true,
  jobsInFlight: 0,
  concurrency: 4,
  version: '0.1.0',
  startedAt: 0,
});

describe('getQueueProcessing / updateQueueProcessing', () => {
  it('shows defaults, then stored values with their source, and clears them', async () => {
    t = await tempStorage();
    const deps = { control: t.storage.control };
    const before = await getQueueProcessing(deps);
    expect(before.retry).toMatchObject({ value: null, source: 'default', effective: { firstSeconds: 300 } });
    expect(before.lifetimeSeconds.defaultFrom).toContain('STRATO_QUEUE_LIFETIME_SECONDS');

    const after = await updateQueueProcessing(deps, {
      retry: { firstSeconds: 30, maxSeconds: 600 },
      lifetimeSeconds: 3600,
      concurrency: 3,
    });
    expect(after.retry).toMatchObject({ value: { firstSeconds: 30, maxSeconds: 600 }, source: 'cluster' });
    expect(after.lifetimeSeconds).toMatchObject({ value: 3600, effective: 3600, source: 'cluster' });
    expect(after.concurrency.effective).toBe(3);
    expect(after.warnings).toEqual([]);

    const cleared = await updateQueueProcessing(deps, { retry: null });
    expect(cleared.retry.source).toBe('default');
    expect((await getQueueProcessing(deps)).lifetimeSeconds.value).toBe(3600);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    t = await tempStorage();
    const deps = { control: t.storage.control };
    await updateQueueProcessing(deps, { concurrency: 2 });
    const cases: [Record<string, unknown>, string][] = [
      [{ retry: { firstSeconds: 600, maxSeconds: 60 } }, 'retry.firstSeconds'],
      [{ retry: { firstSeconds: 60 } }, 'retry.maxSeconds'],
      [{ lifetimeSeconds: 0 }, 'lifetimeSeconds'],
      [{ concurrency: 0, lifetimeSeconds: 60 }, 'concurrency'],
      [{ generatedMail: 'smtp' }, 'generatedMail'],
      [{ colour: 'blue' }, 'colour'],
      [{ processing: ['fe-9@nowhere'] }, 'processing'],
    ];
    for (const [patch, field] of cases) {
      const err = await updateQueueProcessing(deps, patch).catch((e: unknown) => e);
      expect(err, JSON.stringify(patch)).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe(field);
    }
    expect(await t.storage.control.getQueueSettings()).toEqual({ concurrency: 2 });
  });

  it('accepts known frontend ids, and a group nothing runs in with a warning', async () => {
    t = await tempStorage();
    const deps = { control: t.storage.control };
    await t.storage.control.heartbeatFrontend(heartbeat('fe-1@h', 'intake'), 60_000);
    const r = await updateQueueProcessing(deps, { processing: ['fe-1@h', 'batch'] });
    expect(r.processing.value).toEqual(['fe-1@h', 'batch']);
    expect(r.warnings).toEqual(['no live or recently seen frontend is in group "batch"']);
  });
});

/** A relay that always answers "try again later". */
const deferringRelay: OutboundRelay = {
  async send(req) {
    const temporary: RecipientOutcome = { kind: 'temporary', reply: replies.localError() };
    return new Map(req.recipients.map((r) => [r, temporary]));
  },
};

describe('a stored retry schedule at runtime', () => {
  it("changes the processor's next-attempt time, and the environment's applies again once cleared", async () => {
    h = await startHarness({ relay: deferringRelay });
    const harness = h;
    const processor = new QueueProcessor(harness.deps, {
      concurrency: 2,
      visibilitySeconds: 30,
      pollWaitMs: 20,
    });
    const controller = new ProcessingController({
      control: harness.storage.control,
      processor,
      self: { id: 'fe-1@h', group: 'g', address: 'h', version: '0', startedAt: 0 },
      defaults: { processing: true, concurrency: 2, schedule: SCHEDULE },
      sessions: () => 0,
      clock: harness.clock,
      logger: silentLogger,
      heartbeatTtlMs: 10_000,
    });
    const deps = { control: harness.storage.control };
    const nextAttemptOf = async (from: string) => {
      const job = await harness.enqueue({ from, to: ['someone@remote.example'] });
      const entry = await eventually(async () => {
        const e = await harness.storage.queue.get(job.id);
        return e && e.job.attempts === 1 ? e : undefined;
      });
      return entry.job.notBefore! - harness.clock.now();
    };
    try {
      await updateQueueProcessing(deps, { retry: { firstSeconds: 7, maxSeconds: 70 } });
      await controller.tick();
      expect(await nextAttemptOf('a@remote.example')).toBe(7_000);

      await updateQueueProcessing(deps, { retry: null });
      await controller.tick();
      expect(await nextAttemptOf('b@remote.example')).toBe(SCHEDULE.firstRetrySeconds * 1000);
    } finally {
      await controller.stop();
    }
  });
});
