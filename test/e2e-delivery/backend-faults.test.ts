/**
 * Backend faults in a real local cluster (two frontend workers processing the queue, two LMTP
 * backends, compressed timers): a backend SIGKILLed in the middle of a stream of deliveries
 * loses nothing and duplicates nothing; a dead backend's account lease expires and the other
 * backend takes the account with a higher epoch (the fencing token).
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { hashPassword } from '../../core/auth/password.ts';
import { eventually, type LogLine, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  BOB,
  countEvents,
  DEMO,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  leaseOf,
  queueEntries,
  sendStream,
  waitPidGone,
  waitQueueDrained,
} from '../support/delivery.ts';

let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '2',
      STRATO_BACKENDS: '2',
      // Backends come back on the same port after a kill: keep it out of the ephemeral range.
      STRATO_LMTP_BASE_PORT: String(await freeStablePorts(2)),
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** The latest `backend.started` line of backend `id` (pid and LMTP address of its current process). */
function backendProcess(id: string): { pid: number; port: number } {
  const line = cluster.logs.findLast((l) => l.event === 'backend.started' && l.backendId === id);
  if (!line) throw new Error(`backend ${id} never started; output:\n${cluster.output()}`);
  return { pid: line.pid as number, port: Number(String(line.lmtp).split(':')[1]) };
}

/**
 * Listen on `port` so nothing else can. Retried briefly: right after a SIGKILL the dead
 * listener's connections are still being torn down and a bind can fail for a few milliseconds.
 */
async function holdPort(port: number): Promise<Server> {
  const deadline = Date.now() + 1000;
  for (;;) {
    const server = createServer((s) => s.destroy());
    const err = await new Promise<Error | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(port, '127.0.0.1', () => resolve(undefined));
    });
    if (!err) return server;
    if (Date.now() > deadline) throw new Error(`could not hold port ${port}: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const jobDone = (id: string) => (l: LogLine) => l.event === 'queue.done' && l.queueId === id;

describe('a backend SIGKILLed in the middle of a stream of deliveries', () => {
  it('ends with every accepted message in the right INBOX exactly once and the queue drained', async () => {
    const messages = Array.from({ length: 200 }, (_, i) => ({
      token: `stream-${i}`,
      to: i % 4 === 3 ? [ALICE, BOB] : i % 2 ? [BOB] : [ALICE],
    }));
    let victim: { id: string; pid: number } | undefined;
    let logsAtKill = 0;
    const sent = await sendStream(cluster.ports.mx, messages, {
      connections: 4,
      onAccepted: async (count) => {
        if (count !== 60) return;
        // Strike the backend that has Alice's account open once it has stored some of her mail,
        // while mail keeps flowing to it (the other sessions go on sending).
        const lease = await eventually(() => leaseOf(cluster.dataDir, ALICE), 10_000, 'a lease on alice');
        const { pid } = backendProcess(lease.owner);
        const stored = () =>
          countEvents(cluster.logs, 'backend.stored', (l) => l.pid === pid && l.account === ALICE);
        await eventually(
          async () => (stored() >= 5 ? true : undefined),
          10_000,
          'five messages stored by the victim',
        );
        logsAtKill = cluster.logs.length;
        process.kill(pid, 'SIGKILL');
        victim = { id: lease.owner, pid };
      },
    });
    expect(sent.filter((s) => s.status === 'accepted')).toHaveLength(200);
    expect(victim).toBeDefined();
    await waitPidGone(victim!.pid);

    await waitQueueDrained(cluster.dataDir, 20_000);
    expect(await exactlyOnceProblems(cluster.dataDir, sent, [ALICE, BOB])).toEqual([]);

    // The fault really hit deliveries: deliveries after the kill were refused and retried, and
    // the supervisor brought the backend back under the same id.
    const after = cluster.logs.slice(logsAtKill);
    expect(countEvents(after, 'queue.deferred', (l) => String(l.reply).includes(victim!.id))).toBeGreaterThan(
      0,
    );
    expect(
      countEvents(
        after,
        'cluster.worker_exited',
        (l) => l.workerPid === victim!.pid && l.signal === 'SIGKILL',
      ),
    ).toBe(1);
    expect(backendProcess(victim!.id).pid).not.toBe(victim!.pid);
    // Nothing failed, nothing bounced, nothing was dead-lettered.
    expect(countEvents(cluster.logs, 'queue.failed')).toBe(0);
    expect(await queueEntries(cluster.dataDir)).toEqual([]);
  });
});

describe("a dead backend's account lease", () => {
  let blocker: Server | undefined;
  afterAll(async () => {
    if (blocker) await new Promise((r) => blocker!.close(r));
  });

  it('expires, and the other backend takes the account with a higher epoch; the message is stored once', async () => {
    const CAROL = `carol@${DEMO}`;
    const storage = await openEmbeddedStorage({ dataDir: cluster.dataDir });
    await storage.directory.addAccount({
      address: CAROL,
      domain: DEMO,
      name: 'carol',
      passwordHash: await hashPassword('carol-password'),
      settings: {},
      createdAt: Date.now(),
    });
    await storage.close();

    const [first] = await sendStream(cluster.ports.mx, [{ token: 'carol-1', to: [CAROL] }], {
      connections: 1,
    });
    await cluster.waitForLog(jobDone(first!.id!));
    const before = (await leaseOf(cluster.dataDir, CAROL))!;
    expect(before.owner).toMatch(/^backend-[12]$/);
    const other = before.owner === 'backend-1' ? 'backend-2' : 'backend-1';

    // Kill the owner and keep its LMTP port taken, so the supervisor's restarts cannot come
    // back before the lease has expired (they fail to listen and are retried with backoff).
    const owner = backendProcess(before.owner);
    process.kill(owner.pid, 'SIGKILL');
    await waitPidGone(owner.pid);
    blocker = await holdPort(owner.port);

    const [second] = await sendStream(cluster.ports.mx, [{ token: 'carol-2', to: [CAROL] }], {
      connections: 1,
    });
    await cluster.waitForLog(jobDone(second!.id!), 20_000);

    const after = (await leaseOf(cluster.dataDir, CAROL))!;
    expect(after.owner).toBe(other);
    expect(after.epoch).toBe(before.epoch + 1);
    // While the dead owner's lease was valid the delivery was refused and retried.
    expect(countEvents(cluster.logs, 'queue.deferred', (l) => l.queueId === second!.id)).toBeGreaterThan(0);
    const stored = cluster.logs.filter((l) => l.event === 'backend.stored' && l.queueId === second!.id);
    expect(stored.map((l) => l.backendId)).toEqual([other]);
    expect(await exactlyOnceProblems(cluster.dataDir, [first!, second!], [CAROL])).toEqual([]);
  });
});
