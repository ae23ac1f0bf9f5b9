/**
 * A frontend worker SIGKILLed while its queue processor has deliveries in flight, in a real local
 * cluster (two frontend workers processing the queue, one backend behind an LMTP proxy). The
 * proxy briefly keeps back the backend's final replies so that, at the kill, the victim provably
 * holds jobs the backend has stored but the processor has not acked; those jobs come back after
 * their visibility lease and are delivered again. Every accepted message must still end in its
 * recipients' INBOX exactly once, and the queue must drain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RunningProcess, readClusterState, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  BOB,
  connectionPortsOf,
  countEvents,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  queueEntries,
  sendStream,
  waitPidGone,
  waitQueueDrained,
} from '../support/delivery.ts';
import { LmtpProxy } from '../support/lmtp-proxy.ts';

let cluster: RunningProcess;
let proxy: LmtpProxy;

beforeAll(async () => {
  const lmtpBase = await freeStablePorts(1);
  proxy = await LmtpProxy.start(lmtpBase);
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_BACKENDS: '1',
      STRATO_LMTP_BASE_PORT: String(lmtpBase),
      STRATO_BACKEND_ADDRESS: `127.0.0.1:${proxy.port}`,
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  await proxy?.close();
  expect(result?.code).toBe(0);
});

describe('a frontend worker SIGKILLed while processing the queue', () => {
  it('loses and duplicates nothing: every accepted message is stored exactly once', async () => {
    const frontends = (await readClusterState(cluster.dataDir)).workers.filter((w) => w.role === 'frontend');
    expect(frontends).toHaveLength(2);
    const victim = frontends[0]!.pid;
    const messages = Array.from({ length: 150 }, (_, i) => ({
      token: `fe-stream-${i}`,
      to: i % 3 === 2 ? [ALICE, BOB] : i % 2 ? [BOB] : [ALICE],
    }));
    let caught: string[] = [];
    let logsAtKill = 0;
    const sent = await sendStream(cluster.ports.mx, messages, {
      connections: 4,
      onAccepted: async (count) => {
        if (count !== 50) return;
        // Keep back the backend's final replies until the victim has a stored-but-unconfirmed
        // delivery in flight, kill it, then let the other frontend's replies through.
        await eventually(
          async () =>
            countEvents(cluster.logs, 'queue.delivered', (l) => l.pid === victim) > 0 ? true : undefined,
          10_000,
          'the victim delivering',
        );
        proxy.hold();
        try {
          caught = await eventually(
            async () => {
              const mine = await connectionPortsOf(victim, proxy.port);
              const held = proxy.held().filter((h) => mine.has(h.clientPort) && h.deliveryId);
              return held.length ? held.map((h) => h.deliveryId!) : undefined;
            },
            5_000,
            'a held delivery of the victim',
          );
          logsAtKill = cluster.logs.length;
          process.kill(victim, 'SIGKILL');
          await waitPidGone(victim);
        } finally {
          proxy.release();
        }
      },
    });
    expect(caught.length).toBeGreaterThan(0);
    // Sessions on the victim broke: what it accepted counts, what it may have accepted is in doubt.
    expect(sent).toHaveLength(150);
    expect(sent.filter((s) => s.status === 'in-doubt').length).toBeLessThanOrEqual(4);

    await waitQueueDrained(cluster.dataDir, 20_000);
    expect(await exactlyOnceProblems(cluster.dataDir, sent, [ALICE, BOB])).toEqual([]);

    // Each job caught on the victim was delivered again by another frontend, and the backend
    // recognised the delivery it had already stored.
    const after = cluster.logs.slice(logsAtKill);
    for (const jobId of caught) {
      expect(countEvents(after, 'backend.duplicate_skipped', (l) => l.queueId === jobId)).toBeGreaterThan(0);
      expect(countEvents(after, 'queue.done', (l) => l.queueId === jobId && l.pid !== victim)).toBe(1);
    }
    expect(
      countEvents(after, 'cluster.worker_exited', (l) => l.workerPid === victim && l.signal === 'SIGKILL'),
    ).toBe(1);
    expect(countEvents(cluster.logs, 'queue.failed')).toBe(0);
    expect(await queueEntries(cluster.dataDir)).toEqual([]);
  });
});
