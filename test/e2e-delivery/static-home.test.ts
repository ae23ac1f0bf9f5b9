/**
 * A static cluster on the real local cluster (one frontend worker processing the queue, two
 * LMTP backends whose ids come from slots, STRATO_BACKEND_MODE=static, compressed timers): an
 * account whose HomeBackend is SIGKILLed (and kept down by holding its LMTP port) gets
 * temporary outcomes and stays queued — the other backend never stores it — and is delivered
 * once by its home after the supervisor brings it back, under the same slot id.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendezvous } from '../../core/queue/choose-backend.ts';
import { cliFor } from '../e2e-cli/run-cli.ts';
import { eventually, type LogLine, type RunningProcess, startProcess } from '../support/cluster.ts';
import {
  ALICE,
  countEvents,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  queueEntries,
  sendStream,
  waitPidGone,
} from '../support/delivery.ts';

let cluster: RunningProcess;
let blocker: Server | undefined;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '2',
      STRATO_BACKEND_MODE: 'static',
      STRATO_BACKEND_SLOTS: '2',
      STRATO_BACKEND_SLOT_WAIT_MS: '30000',
      // The home comes back on the same port after the kill: keep it out of the ephemeral range.
      STRATO_LMTP_BASE_PORT: String(await freeStablePorts(2)),
    },
  });
});

afterAll(async () => {
  if (blocker) await new Promise((r) => blocker!.close(r));
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** Every `backend.started` line of backend `id`: pid, LMTP port and slot of each process. */
function starts(id: string): { pid: number; port: number; slot: unknown }[] {
  return cluster.logs
    .filter((l) => l.event === 'backend.started' && l.backendId === id)
    .map((l) => ({ pid: l.pid as number, port: Number(String(l.lmtp).split(':')[1]), slot: l.slot }));
}

/** Listen on `port` so the supervisor's restarts of the killed backend cannot (retried briefly). */
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

const forJob = (event: string, id: string) => (l: LogLine) => l.event === event && l.queueId === id;

describe('a static home that is down', () => {
  it('keeps its account queued with temporary outcomes, then its home delivers it under the same id', async () => {
    // Both backends took slot ids.
    expect(starts('backend-1').map((s) => s.slot)).toEqual(['backend-1']);
    expect(starts('backend-2').map((s) => s.slot)).toEqual(['backend-2']);
    // The home is the backend rendezvous hashing would NOT pick: only HomeBackend sends mail there.
    const ids = ['backend-1', 'backend-2'];
    const hashed = rendezvous(
      ALICE,
      ids.map((id) => ({ id, address: '', kind: 'lmtp' as const, expiresAt: 0 })),
    )!.id;
    const homeId = ids.find((i) => i !== hashed)!;
    const cli = cliFor(cluster.dataDir);
    await cli.ok(['account', 'set', ALICE, 'HomeBackend', homeId]);

    const home = starts(homeId)[0]!;
    process.kill(home.pid, 'SIGKILL');
    await waitPidGone(home.pid);
    blocker = await holdPort(home.port);

    const [msg] = await sendStream(cluster.ports.mx, [{ token: 'static-home-1', to: [ALICE] }], {
      connections: 1,
    });
    const id = msg!.id!;
    // Once the home's heartbeat has lapsed, routing itself answers "home is down" (temporary).
    await cluster.waitForLog(
      (l) => forJob('queue.deferred', id)(l) && String(l.reply).includes(`home backend ${homeId}`),
      20_000,
    );
    expect((await queueEntries(cluster.dataDir)).map((e) => e.job.id)).toEqual([id]);
    expect(countEvents(cluster.logs, 'backend.stored', (l) => l.queueId === id)).toBe(0);
    const where = await cli.json<{ home: { backend: string; live: boolean } }>(['account', 'where', ALICE]);
    expect(where.home).toMatchObject({ backend: homeId, live: false });

    // The home comes back (same slot id, a new process) and delivers; nothing else ever did.
    await new Promise((r) => blocker!.close(r));
    blocker = undefined;
    await cluster.waitForLog(forJob('queue.done', id), 45_000);
    const back = starts(homeId);
    expect(back.length).toBeGreaterThanOrEqual(2);
    expect(back.at(-1)!.pid).not.toBe(home.pid);
    expect(back.at(-1)!.slot).toBe(homeId);
    const stored = cluster.logs.filter((l) => l.event === 'backend.stored' && l.queueId === id);
    expect(stored.map((l) => l.backendId)).toEqual([homeId]);
    expect(countEvents(cluster.logs, 'queue.deferred', (l) => l.queueId === id)).toBeGreaterThan(0);
    expect(await exactlyOnceProblems(cluster.dataDir, [msg!], [ALICE])).toEqual([]);
    await eventually(async () => ((await queueEntries(cluster.dataDir)).length === 0 ? true : undefined));
  });
});
