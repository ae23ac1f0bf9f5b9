/**
 * Queue control on the AWS adapters (SQS + queue index + DynamoDB holds, on the emulators), through
 * the CLI in-process: a domain hold parks a job on its FIRST attempt when a processor receives it
 * (the job is not in the index before, so no operator could see it), the parked job shows in
 * `queue list --state held` and `queue depth`, and `queue release --domain` sends it back to SQS;
 * a job that dead-letters shows in `queue dead` and `queue redrive --all` starts it over; a release
 * landing between a processor's confirming read and its park leaves the job ready, not held.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../adapters/aws/sqs-test-support.ts';
import { makeJob } from '../../adapters/contract/helpers.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { QueueEntry, QueueJob } from '../../core/ports/mail-queue.ts';
import { releaseHold } from '../../core/queue/hold-actions.ts';
import { type HoldsSource, parkIfHeld } from '../../core/queue/hold-check.ts';
import { cliFor, tempDataDir } from '../e2e-cli/run-cli.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

let mode: AwsMode;
const data = tempDataDir();
let cli: ReturnType<typeof cliFor>;
const run = (args: string[]) => cli.ok(args, { env: { ...mode.env } });
const json = async <T>(args: string[]) => JSON.parse(await run(['--json', ...args])) as T;

beforeAll(async () => {
  mode = await createAwsMode({ maxReceiveCount: 2 });
  cli = cliFor(data.dir);
});
afterAll(async () => {
  await mode?.storage.close();
  data.remove();
});

async function queued(to: string): Promise<QueueJob> {
  const job = makeJob();
  job.envelope.recipients.splice(1);
  (job.envelope.recipients[0] as { address: string }).address = to;
  await mode.storage.messages.put(job.id, Readable.from([Buffer.from('Subject: x\r\n\r\nx\r\n')]));
  await mode.storage.queue.enqueue([job]);
  return job;
}

describe('queue control on SQS', () => {
  it('parks a first-attempt job a domain hold covers, and releases it back to SQS', async () => {
    const { queue, holds } = mode.storage;
    expect(await run(['queue', 'hold', '--domain', 'flood.example'])).toContain(
      'holding domain flood.example',
    );
    const [flood, other] = [await queued('a@flood.example'), await queued('b@other.example')];
    expect(await queue.get(flood.id)).toBeUndefined(); // the fast path: invisible to operators

    // SQS may answer a receive with fewer messages than wait: receive until both came.
    const got = [];
    for (let i = 0; i < 10 && got.length < 2; i++) {
      got.push(...(await queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 1000 })));
    }
    expect(got.map((l) => l.job.id).sort()).toEqual([flood.id, other.id].sort());
    for (const l of got) {
      const parked = await parkIfHeld({ queue, holds }, l, l.job, silentLogger);
      expect(parked).toBe(l.job.id === flood.id);
      if (!parked) await queue.ack(l.receipt);
    }
    const held = await json<QueueEntry[]>(['queue', 'list', '--state', 'held']);
    expect(held.map((e) => e.job.id)).toEqual([flood.id]);
    expect(await json<{ held: number }>(['queue', 'depth'])).toMatchObject({ held: 1 });
    expect(await queue.receive({ max: 10, visibilitySeconds: 30 })).toEqual([]);

    const released = await json<{ released: string[] }>(['queue', 'release', '--domain', 'flood.example']);
    expect(released.released).toEqual([flood.id]);
    const back = await queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 2000 });
    expect(back.map((l) => [l.job.id, l.receiveCount])).toEqual([[flood.id, 1]]);
    await queue.ack(back[0]!.receipt);
  });

  it('lists a dead-lettered job with its receive count and redrives it', async () => {
    const { queue } = mode.storage;
    const job = await queued('c@slow.example');
    // maxReceiveCount 2: two receives without an ack, the last one recorded in the index.
    for (let i = 0; i < 2; i++) {
      const got = await queue.receive({ max: 1, visibilitySeconds: 1, waitMs: 3000 });
      expect(got.map((l) => l.job.id)).toEqual([job.id]);
      await sleep(1_100);
    }
    const dead = await json<{ job: { id: string }; receiveCount: number }[]>(['queue', 'dead']);
    expect(dead.map((d) => [d.job.id, d.receiveCount])).toEqual([[job.id, 2]]);
    expect(await run(['queue', 'redrive', '--all', '--dry-run'])).toBe(
      `1 of 1 matching job(s) would be redriven:\n  ${job.id}\n`,
    );
    expect(await run(['queue', 'redrive', '--all'])).toBe(`1 of 1 matching job(s) redriven:\n  ${job.id}\n`);
    const again = await queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 3000 });
    expect(again.map((l) => [l.job.id, l.receiveCount])).toEqual([[job.id, 1]]);
    await queue.ack(again[0]!.receipt);
    expect(await run(['queue', 'dead'])).toBe('no dead jobs\n');
  });

  it('un-parks a job whose directive is released between the confirming read and the park', async () => {
    const { queue, holds } = mode.storage;
    await run(['queue', 'hold', '--domain', 'race.example']);
    const job = await queued('d@race.example');
    const got = await queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 3000 });
    expect(got.map((l) => l.job.id)).toEqual([job.id]);
    let released = false;
    const racing: HoldsSource = {
      list: () => holds.list(),
      fresh: async () => {
        const seen = await holds.list();
        if (!released) {
          released = true; // the operator releases right after the processor's confirmation
          const ops = { queue, holds, clock: systemClock };
          expect(await releaseHold(ops, 'domain', 'race.example')).toMatchObject({ released: [] });
        }
        return seen;
      },
    };
    expect(await parkIfHeld({ queue, holds: racing }, got[0]!, got[0]!.job, silentLogger)).toBe(true);
    expect((await queue.get(job.id))?.status).toBe('ready');
    const back = await queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 3000 });
    expect(back.map((l) => l.job.id)).toEqual([job.id]);
    await queue.ack(back[0]!.receipt);
  });
});
