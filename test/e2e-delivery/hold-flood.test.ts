/**
 * Holding a flood, in a real local cluster (one frontend worker, one backend, processing on, hold
 * directives cached 200 ms): the operator holds Bob's account with the CLI, a burst of mail to Bob
 * is accepted (250) and parked in the held state, not delivered, while mail to Alice flows; after
 * `queue release --account` every held message is delivered exactly once and the queue drains.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliFor } from '../e2e-cli/run-cli.ts';
import { PROCESS_TEST_TIMEOUT_MS, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  BOB,
  countEvents,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  queueEntries,
  readInbox,
  sendStream,
  waitQueueDrained,
} from '../support/delivery.ts';

let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_QUEUE_HOLDS_CACHE_MS: '200',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** Poll `check` every 100 ms until it answers true; fail with `what` after `timeoutMs`. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it(
  'parks a flood to a held account and delivers it exactly once after the release',
  async () => {
    const cli = cliFor(cluster.dataDir);
    expect(await cli.ok(['queue', 'hold', '--account', BOB, '--reason', 'flood'])).toContain(
      `holding account ${BOB}`,
    );

    const flood = Array.from({ length: 6 }, (_, i) => ({ token: `flood-${i}`, to: [BOB] }));
    const normal = { token: 'normal-mail', to: [ALICE] };
    const sent = await sendStream(cluster.ports.mx, [...flood, normal], { connections: 2 });
    expect(sent.every((s) => s.status === 'accepted')).toBe(true);

    // Alice's mail is delivered; Bob's is parked, one held job per message, nothing stored.
    await until(async () => (await readInbox(cluster.dataDir, ALICE)).length === 1, "Alice's message");
    await until(
      async () =>
        (await queueEntries(cluster.dataDir)).filter((e) => e.status === 'held').length === flood.length,
      'the flood to be held',
    );
    expect(countEvents(cluster.logs, 'queue.held')).toBe(flood.length);
    expect(await readInbox(cluster.dataDir, BOB)).toEqual([]);
    const held = (await queueEntries(cluster.dataDir)).filter((e) => e.status === 'held');
    expect(held.map((e) => e.job.attempts)).toEqual(flood.map(() => 0));

    const released = await cli.json<{ released: string[] }>(['queue', 'release', '--account', BOB]);
    expect(released.released.sort()).toEqual(
      sent
        .filter((s) => s.to.includes(BOB))
        .map((s) => s.id)
        .sort(),
    );
    await waitQueueDrained(cluster.dataDir, 15_000);
    expect(await exactlyOnceProblems(cluster.dataDir, sent, [ALICE, BOB])).toEqual([]);
    expect(await cli.ok(['queue', 'holds'])).toBe('no holds\n');
  },
  PROCESS_TEST_TIMEOUT_MS,
);
