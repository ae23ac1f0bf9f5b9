/**
 * Dead letters are never silent: a job whose processor dies twice (received without an ack,
 * maxReceiveCount = 2, on the real embedded queue) goes dead; a running queue processor's sweep
 * then logs `queue.dead_lettered` and sends exactly one failed DSN (captured by the relay) for
 * its pending recipients, a restarted processor does not send a second one, and an operator's
 * redrive still delivers the job over real LMTP.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../core/ports/logger.ts';
import { retryNow } from '../../core/queue/operator-actions.ts';
import { QueueProcessor } from '../../core/queue/queue-processor.ts';
import { listedDeadLetters } from '../../core/queue/report-dead-letters.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
const processors: QueueProcessor[] = [];
afterEach(async () => {
  for (const p of processors.splice(0)) await p.stop();
  await h?.close();
});

function recordingLogger(lines: LogFields[]): Logger {
  const log: Logger = {
    debug: (f) => lines.push(f),
    info: (f) => lines.push(f),
    warn: (f) => lines.push(f),
    error: (f) => lines.push(f),
    child: () => log,
  };
  return log;
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startProcessor(lines: LogFields[]): QueueProcessor {
  const p = new QueueProcessor(
    { ...h.deps, logger: recordingLogger(lines) },
    {
      concurrency: 2,
      visibilitySeconds: 30,
      pollWaitMs: 50,
      deadLetters: { source: listedDeadLetters(h.storage.queue), everyMs: 50 },
    },
  );
  processors.push(p);
  p.start();
  return p;
}

describe('dead letters', () => {
  it('reports a dead job once (event + one DSN) and leaves it redrivable', async () => {
    h = await startHarness({ maxReceiveCount: 2 });
    const job = await h.enqueue({ from: 'sender@remote.test', to: ['alice@example.com', 'bob@example.com'] });
    // Two processors die holding the job: received, never acked, the lease runs out.
    for (let i = 0; i < 2; i++) {
      const got = await h.storage.queue.receive({ max: 1, visibilitySeconds: 1 });
      expect(got.map((l) => l.job.id)).toEqual([job.id]);
      h.clock.advance(1500);
    }
    // The next receive moves it to dead instead of handing it out.
    expect(await h.storage.queue.receive({ max: 1, visibilitySeconds: 1 })).toEqual([]);
    expect((await h.storage.queue.get(job.id))?.status).toBe('dead');

    const lines: LogFields[] = [];
    const first = startProcessor(lines);
    const reported = () => lines.filter((l) => l.event === 'queue.dead_lettered');
    await until('the dead letter report', () => reported().length === 1);
    await until('the DSN at the relay', async () => (await h.captured()).length === 1);
    const event = reported()[0]!;
    expect(event).toMatchObject({
      queueId: job.id,
      receiveCount: 2,
      pending: ['alice@example.com', 'bob@example.com'],
    });
    const [file] = await h.captured();
    const dsn = await readFile(join(h.captureDir, file!), 'utf8');
    expect(dsn).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/i);
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?alice@example.com/i);
    expect(dsn).toMatch(/Final-Recipient: rfc822; ?bob@example.com/i);
    expect(dsn).toMatch(/Status: 5\.3\.0/);
    expect(dsn).toMatch(/processing failed repeatedly/);
    // The job stays dead, for the operator.
    expect((await h.storage.queue.get(job.id))?.status).toBe('dead');

    // A restarted processor sweeps again: the event may repeat, the DSN does not.
    await first.stop();
    const again: LogFields[] = [];
    const second = startProcessor(again);
    await until('the second sweep', () => again.some((l) => l.event === 'queue.dead_lettered'));
    await second.stop();
    expect(await h.captured()).toHaveLength(1);
    expect((await h.storage.queue.depth()).ready).toBe(0);

    // Redrive: the operator's retry makes it ready with a fresh receive count; it is delivered.
    const third = startProcessor([]);
    expect((await retryNow(h.storage.queue, job.id)).ok).toBe(true);
    await until(
      'the redriven job to be delivered',
      async () => (await h.storage.queue.get(job.id)) === undefined,
    );
    expect((await h.storage.queue.depth()).dead).toBe(0);
    await third.stop();
    expect(await h.captured()).toHaveLength(1);
  });

  it('sends no DSN for a dead job from <> but still logs it', async () => {
    h = await startHarness({ maxReceiveCount: 1 });
    const job = await h.enqueue({ from: '', to: ['alice@example.com'] });
    await h.storage.queue.receive({ max: 1, visibilitySeconds: 1 });
    h.clock.advance(1500);
    expect(await h.storage.queue.receive({ max: 1, visibilitySeconds: 1 })).toEqual([]);
    const lines: LogFields[] = [];
    startProcessor(lines);
    await until('the dead letter report', () => lines.some((l) => l.event === 'queue.dead_lettered'));
    expect(lines.find((l) => l.event === 'queue.dead_lettered')).toMatchObject({
      queueId: job.id,
      noDsn: 'null-sender',
    });
    expect(await h.captured()).toHaveLength(0);
    expect((await h.storage.queue.depth()).ready + (await h.storage.queue.depth()).inFlight).toBe(0);
  });
});
