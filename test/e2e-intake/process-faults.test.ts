/**
 * End-to-end process faults: a frontend SIGKILLed right after answering 250 keeps the message;
 * the local cluster restarts a SIGKILLed worker (and cluster.json follows); SIGTERM lets a
 * message in flight finish, sends idle sessions 421 and makes the cluster exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { seedDemo } from '../../local-cluster/demo-seed.ts';
import {
  ENTRY,
  eventually,
  findQueued,
  greetingPid,
  PROCESS_TEST_TIMEOUT_MS,
  queuedId,
  type RunningProcess,
  readClusterState,
  startProcess,
} from '../support/cluster.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

const ALICE = 'alice@demo.strato.test';
const started: RunningProcess[] = [];

afterAll(async () => {
  for (const p of started) await p.stop();
});

async function openTransaction(port: number) {
  const c = await RawSmtp.connect(port);
  const greeting = await c.read();
  expect((await c.command('EHLO client.test')).code).toBe(250);
  expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
  expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
  expect((await c.command('DATA')).code).toBe(354);
  return { c, pid: greetingPid(greeting.last)! };
}

describe('frontend killed with SIGKILL right after 250', () => {
  it(
    'leaves the message in the queue, body intact',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'strato-e2e-kill-'));
      const storage = await openEmbeddedStorage({ dataDir });
      await seedDemo(storage.directory, systemClock);
      await storage.close();
      const frontend = await startProcess({ entry: 'frontend', dataDir });
      started.push(frontend);

      const message = `Subject: survive kill -9\r\n\r\n${'durable line\r\n'.repeat(2000)}`;
      const { c } = await openTransaction(frontend.ports.mx);
      c.write(`${message}.\r\n`);
      const reply = await c.read();
      frontend.proc.kill('SIGKILL'); // the instant 250 arrived
      expect(reply.last).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]{20}$/);
      expect(await frontend.exited).toEqual({ code: null, signal: 'SIGKILL' });
      c.close();

      const queued = await findQueued(dataDir, queuedId(reply.last)!);
      expect(queued?.job.envelope.recipients).toMatchObject([{ address: ALICE, state: 'pending' }]);
      const body = queued!.body.toString();
      expect(body.startsWith('Received: from client.test ([127.0.0.1])\r\n')).toBe(true);
      expect(body.endsWith(`\r\n${message}`)).toBe(true);
      expect(queued!.job.body.size).toBe(queued!.body.length);
      await rm(dataDir, { recursive: true, force: true });
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

/** Runs an entry point with a bad port and a bad network; resolves to its exit code and stderr. */
async function startWithBadConfig(entry: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, STRATO_SMTP_PORT: 'abc', STRATO_TRUSTED_NETWORKS: '10.0.0.0/8,not-a-net' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => {
    stderr += t;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stderr };
}

describe('configuration errors', () => {
  it('list every bad variable and exit 2, for the cluster and a lone frontend', async () => {
    const [cluster, frontend] = await Promise.all([
      startWithBadConfig(ENTRY.cluster),
      startWithBadConfig(ENTRY.frontend),
    ]);
    expect(cluster.code).toBe(2);
    expect(cluster.stderr).toContain('STRATO_SMTP_PORT');
    expect(cluster.stderr).toContain('"not-a-net" is not an IPv4 or IPv6 address');
    expect(frontend.code).toBe(2);
    expect(frontend.stderr).toContain('STRATO_SMTP_PORT');
  });
});

describe('local cluster supervision', () => {
  let cluster: RunningProcess;

  it(
    'restarts a worker killed with SIGKILL and records its new pid',
    async () => {
      cluster = await startProcess({
        entry: 'cluster',
        // Far beyond the test timeout: a shutdown that waited on it instead of ending sessions
        // would never exit in time (see the SIGTERM case), with no wall-clock assertion needed.
        env: { STRATO_FRONTEND_WORKERS: '2', STRATO_CLOSE_TIMEOUT_MS: '600000' },
      });
      started.push(cluster);
      const before = await readClusterState(cluster.dataDir);
      expect(before.primaryPid).toBe(cluster.proc.pid);
      expect(before.workers.filter((w) => w.role === 'frontend')).toHaveLength(2);
      expect(before.workers.filter((w) => w.role === 'backend')).toHaveLength(2);
      const victim = before.workers.find((w) => w.role === 'frontend')!;
      process.kill(victim.pid, 'SIGKILL');

      await cluster.waitForLog(
        (l) => l.event === 'cluster.worker_exited' && l.workerPid === victim.pid && l.signal === 'SIGKILL',
      );
      const after = await eventually(
        async () => {
          const state = await readClusterState(cluster.dataDir);
          const slot = state.workers.find((w) => w.slot === victim.slot);
          return slot && slot.pid !== victim.pid && slot.ready ? state : undefined;
        },
        20_000,
        'restarted worker in cluster.json',
      );
      expect(after.restarts).toBe(1);
      const replacement = after.workers.find((w) => w.slot === victim.slot)!.pid;
      expect(after.workers.map((w) => w.pid)).not.toContain(victim.pid);

      // The replacement takes connections on the shared port.
      const seen = new Set<number>();
      for (let i = 0; i < 10 && !seen.has(replacement); i++) {
        const c = await RawSmtp.connect(cluster.ports.mx);
        seen.add(greetingPid((await c.read()).last)!);
        c.close();
      }
      expect(seen.has(replacement)).toBe(true);
      expect(seen.has(victim.pid)).toBe(false);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it('on SIGTERM finishes the message in flight, answers idle sessions 421 and exits 0', async () => {
    const busy = await openTransaction(cluster.ports.mx);
    busy.c.write('Subject: in flight\r\n\r\nfirst half\r\n');
    const idle = await RawSmtp.connect(cluster.ports.mx);
    expect((await idle.read()).code).toBe(220);
    expect((await idle.command('EHLO idle.test')).code).toBe(250);

    cluster.proc.kill('SIGTERM');
    await cluster.waitForLog((l) => l.event === 'frontend.stopping' && l.pid === busy.pid);
    // The idle session is told to go away at once, not after the (10 min) close timeout.
    expect((await idle.read()).last).toBe('421 4.3.2 Service shutting down, try again later');
    await idle.waitClosed();

    busy.c.write('second half\r\n.\r\n');
    const reply = await busy.c.read();
    expect(reply.last).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect((await busy.c.read()).code).toBe(421);

    expect(await cluster.exited).toEqual({ code: 0, signal: null });
    const queued = await findQueued(cluster.dataDir, queuedId(reply.last)!);
    expect(queued!.body.toString()).toMatch(/\r\nSubject: in flight\r\n\r\nfirst half\r\nsecond half\r\n$/);
    expect(cluster.logs.some((l) => l.event === 'cluster.stopped' && l.clean === true)).toBe(true);
  });
});
