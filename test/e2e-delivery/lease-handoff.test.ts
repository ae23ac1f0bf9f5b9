/**
 * Lease handoff in a real local cluster (two frontend workers processing the queue, two LMTP
 * backends, production lease TTL and retry schedule): one backend is stopped gracefully (SIGTERM)
 * while mail flows to 20 accounts. It refuses new transactions as "backend stopping", drains,
 * deregisters and releases its account leases; the queue processors re-route the moving
 * accounts at once and retry them within seconds. Every accepted message is stored exactly
 * once, and the longest accept→stored delay (printed) stays far below the 5-minute first retry
 * and the 60 s lease TTL a crash would cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { eventually, type LogLine, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  countEvents,
  DEMO,
  exactlyOnceProblems,
  freeStablePorts,
  queueEntries,
  sendStream,
  waitPidGone,
  waitQueueDrained,
} from '../support/delivery.ts';

const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `user${i}@${DEMO}`);
let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      STRATO_QUEUE_PROCESSING: 'true',
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_BACKENDS: '2',
      // Production timers where they matter: leases 60 s, first retry 5 minutes. Only the
      // registry heartbeat and the queue poll are fast, so the test does not wait on them.
      STRATO_LEASE_TTL_MS: '60000',
      STRATO_HEARTBEAT_MS: '500',
      STRATO_QUEUE_POLL_WAIT_MS: '100',
      STRATO_LMTP_BASE_PORT: String(await freeStablePorts(2)),
    },
  });
  const storage = await openEmbeddedStorage({ dataDir: cluster.dataDir });
  try {
    for (const address of ACCOUNTS) {
      const name = address.split('@')[0]!;
      await storage.directory.addAccount({
        address,
        domain: DEMO,
        name,
        settings: {},
        createdAt: Date.now(),
      });
    }
  } finally {
    await storage.close();
  }
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

const at = (l: LogLine) => Date.parse(String(l.time));

/** The longest time from a message's 250 at a frontend to its copy stored by a backend. */
function longestAcceptToStored(logs: readonly LogLine[], ids: readonly string[]): number {
  const accepted = new Map(logs.filter((l) => l.event === 'smtp.accepted').map((l) => [l.queueId, at(l)]));
  const stored = new Map(logs.filter((l) => l.event === 'backend.stored').map((l) => [l.queueId, at(l)]));
  let longest = 0;
  for (const id of ids) {
    const from = accepted.get(id);
    const to = stored.get(id);
    if (from === undefined || to === undefined) throw new Error(`no accepted/stored log line for ${id}`);
    longest = Math.max(longest, to - from);
  }
  return longest;
}

describe('a backend stopped gracefully while mail flows to 20 accounts', () => {
  it('hands its accounts over: every message stored once, the longest delay a few seconds', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({
      token: `handoff-${i}`,
      to: [ACCOUNTS[i % ACCOUNTS.length]!],
    }));
    let victim: { id: string; pid: number } | undefined;
    const sent = await sendStream(cluster.ports.mx, messages, {
      connections: 4,
      onAccepted: async (count) => {
        if (count !== 60) return;
        // Stop it once it holds leases (it has stored mail); the other connections keep sending.
        await eventually(
          async () =>
            cluster.logs.some((l) => l.event === 'backend.stored' && l.backendId === 'backend-1')
              ? true
              : undefined,
          20_000,
          'backend-1 storing mail',
        );
        const line = cluster.logs.findLast(
          (l) => l.event === 'backend.started' && l.backendId === 'backend-1',
        );
        if (!line) throw new Error(`backend-1 never started; output:\n${cluster.output()}`);
        victim = { id: 'backend-1', pid: line.pid as number };
        process.kill(victim.pid, 'SIGTERM');
      },
    });
    expect(sent.filter((s) => s.status === 'accepted')).toHaveLength(200);
    expect(victim).toBeDefined();
    await waitPidGone(victim!.pid, 20_000);

    await waitQueueDrained(cluster.dataDir, 60_000);
    expect(await exactlyOnceProblems(cluster.dataDir, sent, ACCOUNTS)).toEqual([]);

    // The stop was a handoff: the victim released the leases it held and exited 0.
    const released = cluster.logs.find((l) => l.event === 'backend.leases_released' && l.pid === victim!.pid);
    expect(released).toMatchObject({ failed: 0 });
    expect(released!.released as number).toBeGreaterThan(0);
    expect(
      countEvents(cluster.logs, 'cluster.worker_exited', (l) => l.workerPid === victim!.pid && l.code === 0),
    ).toBe(1);
    expect(countEvents(cluster.logs, 'queue.failed')).toBe(0);
    expect(await queueEntries(cluster.dataDir)).toEqual([]);

    const ids = sent.map((s) => s.id!);
    const longest = longestAcceptToStored(cluster.logs, ids);
    const quick = countEvents(cluster.logs, 'queue.rescheduled', (l) => l.quickRetry !== undefined);
    console.log(
      `lease handoff: 200 messages to 20 accounts, backend-1 stopped (SIGTERM) after 60; ` +
        `${released!.released} leases released; ${quick} quick retries; ` +
        `longest accept→stored delay ${longest} ms`,
    );
    expect(longest).toBeLessThan(30_000);
  }, 120_000);
});
