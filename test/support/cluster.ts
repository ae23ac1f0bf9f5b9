/**
 * End-to-end test harness: starts a real `npm start` local cluster or a single frontend process
 * on free loopback ports with a temp data dir, waits until it serves, collects its JSON log
 * lines, and stops or kills it. Also reads the queue back through the real embedded adapters.
 * Every wait has a timeout that fails the test with the process output instead of hanging.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { loadChannelSecret } from '../../runtime/channel-secret.ts';
import { type LogLine, watchProcessLogs } from './process-logs.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

export const ENTRY = {
  cluster: 'local-cluster/main.ts',
  frontend: 'fargate/frontend/main.ts',
} as const;

export interface Ports {
  readonly mx: number;
  readonly submission: number;
  readonly smtps: number;
  /** The admin API and WebAdmin (HTTPS on 127.0.0.1), only when started with `admin: true`. */
  readonly admin?: number;
}

export type { LogLine } from './process-logs.ts';

export interface RunningProcess {
  readonly proc: ChildProcess;
  readonly dataDir: string;
  readonly ports: Ports;
  /** Parsed JSON log lines seen so far (stdout and stderr). */
  readonly logs: LogLine[];
  /** Raw output, for failure messages. */
  output(): string;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit (SIGKILL after `timeoutMs`); removes the data dir unless kept. */
  stop(opts?: {
    keepData?: boolean;
    timeoutMs?: number;
  }): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Free TCP ports on 127.0.0.1, found by binding port 0 (all held open together, so they differ). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * `count` consecutive free ports below the kernel's ephemeral range (32768 and up on Linux).
 * For services a test kills and expects back on the same port: a port from the ephemeral range
 * can meanwhile become the local port of some outgoing connection (then sit in TIME_WAIT for a
 * minute), and the restarted service could not listen on it.
 */
export async function freeStablePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * (32_000 - 20_000 - count));
    const servers: Server[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(base + i, '127.0.0.1', () => resolve());
        });
        servers.push(server);
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error(`no ${count} consecutive free ports below 32000`);
}

export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Timeout for a case that starts a cluster or frontend inside the test rather than in beforeAll
 * (which has the 60 s hook timeout): starting 3-5 node processes takes 20 s and more on a busy
 * 2-core machine, close to vitest's default 30 s. A timeout, not a wait: passing cases are not slower.
 */
export const PROCESS_TEST_TIMEOUT_MS = 90_000;

export async function startProcess(opts: {
  entry: keyof typeof ENTRY;
  env?: Record<string, string>;
  dataDir?: string;
  /** For the cluster: wait for cluster.started (every worker ready), not just an open port. */
  waitForAllWorkers?: boolean;
  timeoutMs?: number;
  /** The cluster also runs the admin process (off otherwise, so other tests start no extra worker). */
  admin?: boolean;
}): Promise<RunningProcess> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'strato-e2e-')));
  const [mx, submission, smtps, admin] = (await freePorts(4)) as [number, number, number, number];
  const ports = { mx, submission, smtps, ...(opts.admin ? { admin } : {}) };
  const backends = Number(opts.env?.STRATO_BACKENDS ?? 2);
  const lmtpBase = await freeStablePorts(backends);
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY[opts.entry]], {
    cwd: ROOT,
    env: {
      ...process.env,
      STRATO_DATA_DIR: dataDir,
      STRATO_LISTEN_HOST: '127.0.0.1',
      STRATO_SMTP_PORT: String(mx),
      STRATO_SUBMISSION_PORT: String(submission),
      STRATO_SMTPS_PORT: String(smtps),
      STRATO_LOG_LEVEL: 'info',
      STRATO_LMTP_BASE_PORT: String(lmtpBase),
      STRATO_LMTP_PORT: String(lmtpBase),
      // Intake tests read accepted mail back from the queue; delivery tests turn processing on.
      STRATO_QUEUE_PROCESSING: 'false',
      // The tarpit before error replies (seconds by default) is tested on its own in
      // e2e-intake/abuse-limits.test.ts; elsewhere a test's refused recipients need not wait.
      STRATO_TARPIT_STEP_MS: '10',
      STRATO_TARPIT_MAX_MS: '50',
      // SPF/DKIM/DMARC/ARC would ask the system's DNS for every MX message and prepend a header;
      // the tests about it (test/e2e-intake/auth-results.test.ts) turn it on with a loopback DNS.
      STRATO_INBOUND_AUTH: 'off',
      STRATO_ADMIN: opts.admin ? 'true' : 'false',
      STRATO_ADMIN_HOST: '127.0.0.1',
      STRATO_ADMIN_PORT: String(admin),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { logs, output, waitForLog, exited } = watchProcessLogs(proc);
  const running: RunningProcess = {
    proc,
    dataDir,
    ports,
    logs,
    output,
    waitForLog,
    exited,
    async stop({ keepData = false, timeoutMs = 15_000 } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
      return result;
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const event =
    opts.entry === 'cluster' && opts.waitForAllWorkers !== false ? 'cluster.started' : 'frontend.started';
  const ready = waitForLog((l) => l.event === event, opts.timeoutMs ?? 30_000);
  const failed = exited.then(({ code, signal }) => {
    throw new Error(
      `${ENTRY[opts.entry]} exited early (code ${code}, signal ${signal}); output:\n${output()}`,
    );
  });
  await Promise.race([ready, failed]);
  failed.catch(() => {});
  for (const port of opts.admin ? [mx, admin] : [mx]) {
    while (!(await portAccepts(port))) {
      if (Date.now() > deadline) throw new Error(`port ${port} never accepted; output:\n${output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return running;
}

/** The delivery-channel secret the processes on this data dir share (<dataDir>/channel.key). */
export function clusterChannelSecret(dataDir: string): Promise<string> {
  return loadChannelSecret(undefined, dataDir);
}

/** The local cluster's <dataDir>/run/cluster.json. */
export async function readClusterState(dataDir: string): Promise<{
  primaryPid: number;
  workers: { slot: number; role: 'frontend' | 'backend'; pid: number; ready: boolean }[];
  restarts: number;
}> {
  return JSON.parse(await readFile(join(dataDir, 'run', 'cluster.json'), 'utf8'));
}

export interface QueuedMessage {
  readonly job: QueueJob;
  readonly body: Buffer;
}

/** Every job in the queue with its stored body, read through the real embedded adapters. */
export async function readQueue(dataDir: string): Promise<QueuedMessage[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    const out: QueuedMessage[] = [];
    for (const entry of await storage.queue.list({ limit: 10_000 })) {
      const chunks: Buffer[] = [];
      for await (const chunk of await storage.messages.open(entry.job.body)) chunks.push(chunk as Buffer);
      out.push({ job: entry.job, body: Buffer.concat(chunks) });
    }
    return out;
  } finally {
    await storage.close();
  }
}

/** The queued message whose id is `queueId` (from a "250 2.0.0 Ok: queued as <id>" reply). */
export async function findQueued(dataDir: string, queueId: string): Promise<QueuedMessage | undefined> {
  return (await readQueue(dataDir)).find((m) => m.job.id === queueId);
}

/** Poll `check` until it returns a value, or fail after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The frontend pid a 220 greeting names ("... Strato ready (fe-<pid>@host)"). */
export function greetingPid(greeting: string): number | undefined {
  const m = /\(fe-(\d+)@/.exec(greeting);
  return m ? Number(m[1]) : undefined;
}

/** The queue id in "250 2.0.0 Ok: queued as <id>". */
export function queuedId(reply: string): string | undefined {
  return /queued as ([0-9A-Z]{20})/.exec(reply)?.[1];
}
