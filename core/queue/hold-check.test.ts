/**
 * The hold step against the real embedded storage: which directives cover a job (its id, a pending
 * recipient's account or domain; settled recipients do not count), that processJob parks a covered
 * job without an attempt (no delivery, attempts unchanged), and that after the release the job is
 * delivered once. Plus the directive cache: a new hold is seen once the cache period passed, and a
 * released one never parks a job for good — neither when the processor's cache still lists it, nor
 * when the release lands between the processor's confirmation and its park.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeJob } from '../../adapters/contract/helpers.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { delivered, type RecipientOutcome } from '../mail/outcome.ts';
import { silentLogger } from '../ports/logger.ts';
import type { RelayRequest } from '../ports/outbound-relay.ts';
import type { QueueHold } from '../ports/queue-holds.ts';
import { addHold, releaseHold } from './hold-actions.ts';
import { cachedHolds, type HoldsSource, holdCovering } from './hold-check.ts';
import { type ProcessorDeps, processJob } from './process-job.ts';
import { DEFAULT_RETRY_SCHEDULE } from './retry-schedule.ts';

const hold = (kind: QueueHold['kind'], value: string): QueueHold => ({ kind, value, createdAt: 0 });

describe('holdCovering', () => {
  const job = makeJob(); // alice@example.com and bob@example.net, both pending
  it('matches the job id, a pending recipient address or its domain', () => {
    expect(holdCovering([hold('job', job.id)], job)?.kind).toBe('job');
    expect(holdCovering([hold('account', 'alice@example.com')], job)?.kind).toBe('account');
    expect(holdCovering([hold('domain', 'example.net')], job)?.kind).toBe('domain');
    expect(holdCovering([hold('domain', 'example.org'), hold('account', 'carol@example.com')], job)).toBe(
      undefined,
    );
  });
  it('ignores recipients already settled', () => {
    const partly = makeJob();
    partly.envelope.recipients[1]!.state = 'delivered';
    expect(holdCovering([hold('domain', 'example.net')], partly)).toBeUndefined();
    expect(holdCovering([hold('domain', 'example.com')], partly)?.value).toBe('example.com');
  });
});

describe('processJob with holds (embedded storage)', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  function processor(sent: RelayRequest[]): ProcessorDeps {
    return {
      queue: t.storage.queue,
      messages: t.storage.messages,
      directory: t.storage.directory,
      leases: t.storage.leases,
      registry: t.storage.backends,
      holds: t.storage.holds,
      channel: { deliver: () => Promise.reject(new Error('no local recipients here')) },
      relay: {
        send: async (req) => {
          sent.push(req);
          return new Map<string, RecipientOutcome>(req.recipients.map((r) => [r, delivered()]));
        },
      },
      clock: t.clock,
      logger: silentLogger,
      schedule: DEFAULT_RETRY_SCHEDULE,
      hostname: 'mx.test',
      backendMode: 'dynamic',
    };
  }

  it('parks a job a domain hold covers without an attempt, and delivers it once after the release', async () => {
    const sent: RelayRequest[] = [];
    const deps = processor(sent);
    await t.storage.holds.add({ kind: 'domain', value: 'example.net', createdAt: t.clock.now() });
    const job = makeJob({ createdAt: t.clock.now() });
    await t.storage.queue.enqueue([job]);
    const [leased] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(deps, leased!)).toBe('held');
    expect(sent).toEqual([]);
    const held = await t.storage.queue.get(job.id);
    expect(held).toMatchObject({ status: 'held', receiveCount: 0 });
    expect(held?.job.attempts).toBe(0);
    expect(await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 })).toEqual([]);

    const ops = { queue: t.storage.queue, holds: t.storage.holds, clock: t.clock };
    expect(await releaseHold(ops, 'domain', 'example.org')).toEqual({ ok: false, reason: 'not-held' });
    expect(await releaseHold(ops, 'domain', 'Example.NET')).toEqual({
      ok: true,
      removed: true,
      released: [job.id],
      stillHeld: [],
    });
    const [again] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(deps, again!)).toBe('done');
    expect(sent.map((r) => [...r.recipients].sort())).toEqual([['alice@example.com', 'bob@example.net']]);
  });

  it('addHold parks waiting jobs at once; a release leaves jobs another directive still covers', async () => {
    const ops = { queue: t.storage.queue, holds: t.storage.holds, clock: t.clock };
    const [a, b] = [makeJob(), makeJob()];
    b.envelope.recipients.splice(0, 1); // only bob@example.net
    await t.storage.queue.enqueue([a, b]);
    const r = await addHold(ops, 'account', 'Alice@Example.com', 'flood');
    expect(r).toMatchObject({ added: true, parked: [a.id], inFlight: [] });
    expect(r.hold).toMatchObject({ kind: 'account', value: 'alice@example.com', reason: 'flood' });
    expect((await addHold(ops, 'domain', 'example.net')).parked).toEqual([b.id]);
    expect((await addHold(ops, 'domain', 'example.net')).added).toBe(false);

    const rel = await releaseHold(ops, 'domain', 'example.net');
    expect(rel).toMatchObject({
      ok: true,
      released: [b.id],
      stillHeld: [{ id: a.id, by: { kind: 'account' } }],
    });
    expect((await t.storage.queue.get(a.id))?.status).toBe('held');
    expect((await t.storage.queue.get(b.id))?.status).toBe('ready');
  });

  it('reads directives through the cache: a new hold is seen once the period passed', async () => {
    const reader = cachedHolds(t.storage.holds, t.clock, 5_000);
    expect(await reader.list()).toEqual([]);
    await t.storage.holds.add({ kind: 'domain', value: 'example.net', createdAt: t.clock.now() });
    expect(await reader.list()).toEqual([]);
    t.clock.advance(5_001);
    expect((await reader.list()).map((h) => h.value)).toEqual(['example.net']);
  });

  it('delivers a job a released directive covers though the processor still caches it', async () => {
    const sent: RelayRequest[] = [];
    const deps = { ...processor(sent), holds: cachedHolds(t.storage.holds, t.clock, 60_000) };
    const ops = { queue: t.storage.queue, holds: t.storage.holds, clock: t.clock };
    await addHold(ops, 'domain', 'example.net');
    const job = makeJob({ createdAt: t.clock.now() });
    await t.storage.queue.enqueue([job]);
    const [first] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(deps, first!)).toBe('held'); // the cache now lists the directive

    expect(await releaseHold(ops, 'domain', 'example.net')).toMatchObject({ released: [job.id] });
    const later = makeJob({ createdAt: t.clock.now() });
    await t.storage.queue.enqueue([later]);
    for (const l of await t.storage.queue.receive({ max: 2, visibilitySeconds: 60 })) {
      expect(await processJob(deps, l)).toBe('done');
    }
    expect(sent).toHaveLength(2);
    expect(await t.storage.queue.depth()).toMatchObject({ held: 0, ready: 0, inFlight: 0 });
  });

  it('un-parks a job whose directive was released between the confirmation and the park', async () => {
    const sent: RelayRequest[] = [];
    const ops = { queue: t.storage.queue, holds: t.storage.holds, clock: t.clock };
    await addHold(ops, 'account', 'bob@example.net');
    let releasedEarly = false;
    // The operator's release runs right after the processor's confirming read.
    const holds: HoldsSource = {
      list: () => t.storage.holds.list(),
      fresh: async () => {
        const seen = await t.storage.holds.list();
        if (!releasedEarly) {
          releasedEarly = true;
          expect(await releaseHold(ops, 'account', 'bob@example.net')).toMatchObject({ released: [] });
        }
        return seen;
      },
    };
    const deps = { ...processor(sent), holds };
    const job = makeJob({ createdAt: t.clock.now() });
    await t.storage.queue.enqueue([job]);
    const [leased] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(deps, leased!)).toBe('held');
    expect((await t.storage.queue.get(job.id))?.status).toBe('ready');

    const [again] = await t.storage.queue.receive({ max: 1, visibilitySeconds: 60 });
    expect(await processJob(deps, again!)).toBe('done');
    expect(sent).toHaveLength(1);
  });
});
