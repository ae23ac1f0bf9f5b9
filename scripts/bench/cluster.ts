/**
 * Starting and stopping the local cluster for the benchmark: free loopback ports (SMTP, and a
 * free run of LMTP ports for the backends), a fresh temp data dir, `node --import tsx local-cluster/main.ts` with STRATO_* variables, waiting
 * until the MX port greets and the demo recipient is accepted, reading run/cluster.json, and a
 * SIGTERM-then-wait stop. Failure: a cluster that exits or is not ready in time rejects with its
 * captured stderr tail; `stop` escalates to SIGKILL after a grace period and never throws.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ENV } from '../../core/config/env-names.ts';
import { SmtpConnection } from './smtp-client.ts';

export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

export interface ClusterPids {
  readonly primaryPid: number;
  readonly workerPids: readonly number[];
  /** pid → "frontend" / "backend", when cluster.json says. */
  readonly roles?: Readonly<Record<number, string>>;
}

export interface StartedCluster {
  readonly child: ChildProcess;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The last lines the cluster wrote to stderr/stdout (for error messages). */
  output(): string;
}

/** `count` distinct free TCP ports on 127.0.0.1 (held open together so they differ). */
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
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Can every port in [base, base + count) be bound on 127.0.0.1 right now? */
async function rangeFree(base: number, count: number): Promise<boolean> {
  const servers: ReturnType<typeof createServer>[] = [];
  try {
    for (let p = base; p < base + count; p++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(p, '127.0.0.1', () => resolve());
      });
    }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(
      servers.map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(0)))),
    );
  }
}

/** A base port with `count` consecutive free ports (the cluster numbers LMTP ports from a base). */
export async function freePortRange(count: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    if (await rangeFree(base, count)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found on 127.0.0.1`);
}

export async function startCluster(opts: {
  dataDir: string;
  workers?: number;
  backends?: number;
  /** Extra environment (e.g. STRATO_STORAGE=aws and the emulators' endpoints). */
  env?: Record<string, string>;
}): Promise<StartedCluster> {
  const [mx, submission, smtps] = (await freePorts(3)) as [number, number, number];
  // Not the fixed default base port: a cluster already running on this machine may hold it.
  const lmtpBase = await freePortRange(opts.backends ?? 2);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [ENV.dataDir]: opts.dataDir,
    [ENV.mxPort]: String(mx),
    [ENV.submissionPort]: String(submission),
    [ENV.tlsPort]: String(smtps),
    [ENV.listenHost]: '127.0.0.1',
    [ENV.logLevel]: 'warn',
    [ENV.seedDemo]: 'true',
    [ENV.lmtpBasePort]: String(lmtpBase),
    // The benchmark is one client address sending thousands of messages: the per-address abuse
    // limits (README "Security") would measure themselves, so they are off here.
    [ENV.messagesPerAddress]: '0',
    [ENV.recipientsPerAddress]: '0',
    [ENV.sessionsPerAddress]: '0',
    [ENV.commandsPerSession]: '0',
    // Intake throughput, not DNS round trips: SPF/DKIM/DMARC would ask the system resolver per message.
    [ENV.inboundAuth]: 'false',
    // No admin process: the benchmark measures mail, and 8443 may be taken.
    [ENV.adminEnabled]: 'false',
    ...opts.env,
  };
  if (opts.workers !== undefined) env[ENV.frontendWorkers] = String(opts.workers);
  if (opts.backends !== undefined) env[ENV.backends] = String(opts.backends);
  const child = spawn(process.execPath, ['--import', 'tsx', 'local-cluster/main.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal Ctrl-C reaches only the bench, which then stops the
    // cluster with one SIGTERM (a second signal would make the cluster kill its workers at once).
    detached: true,
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, host: '127.0.0.1', port: mx, dataDir: opts.dataDir, output: () => tail.trim() };
}

/**
 * Wait until the MX port greets with 220 and accepts RCPT TO `recipient` (the demo seed is in
 * place); ends the probe with RSET and QUIT, so nothing is enqueued.
 */
export async function waitReady(
  host: string,
  port: number,
  recipient: string,
  opts: { timeoutMs: number; exited?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'not tried';
  while (Date.now() < deadline) {
    const exited = opts.exited?.();
    if (exited) throw new Error(exited);
    try {
      const { conn, greeting } = await SmtpConnection.open(host, port, 5000);
      try {
        if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.text}`);
        await conn.command('EHLO bench.example.org');
        await conn.command('MAIL FROM:<bench@example.org>');
        const rcpt = await conn.command(`RCPT TO:<${recipient}>`);
        await conn.command('RSET');
        if (rcpt.code === 250) return;
        last = `RCPT TO:<${recipient}> answered ${rcpt.code} ${rcpt.text}`;
      } finally {
        await conn.quit();
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`cluster not ready after ${opts.timeoutMs} ms: ${last}`);
}

/**
 * The pids from <dataDir>/run/cluster.json, or undefined while it is absent or unreadable.
 * Reads both shapes: `{ primaryPid, workerPids: [...] }` and `{ primaryPid, workers: [{ pid, ready, role }] }`
 * (then only workers that are ready count, with their role when given).
 */
export async function readClusterPids(dataDir: string): Promise<ClusterPids | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dataDir, 'run', 'cluster.json'), 'utf8')) as {
      primaryPid?: unknown;
      workerPids?: unknown[];
      workers?: { pid?: unknown; ready?: unknown; role?: unknown }[];
    };
    if (typeof raw.primaryPid !== 'number') return undefined;
    const roles: Record<number, string> = {};
    for (const w of Array.isArray(raw.workers) ? raw.workers : []) {
      if (typeof w.pid === 'number' && typeof w.role === 'string') roles[w.pid] = w.role;
    }
    const workerPids = Array.isArray(raw.workerPids)
      ? raw.workerPids
      : Array.isArray(raw.workers)
        ? raw.workers.filter((w) => w.ready !== false).map((w) => w.pid)
        : undefined;
    if (!workerPids) return undefined;
    return {
      primaryPid: raw.primaryPid,
      workerPids: workerPids.filter((p): p is number => typeof p === 'number'),
      ...(Object.keys(roles).length > 0 ? { roles } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Poll cluster.json until it lists `minWorkers` workers (or the time is up; then what it has). */
export async function waitClusterPids(dataDir: string, minWorkers: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let pids = await readClusterPids(dataDir);
  while ((!pids || pids.workerPids.length < minWorkers) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    pids = await readClusterPids(dataDir);
  }
  return pids;
}

/** SIGTERM, wait up to `graceMs` for exit, then SIGKILL. Resolves with how it ended. */
export async function stopCluster(child: ChildProcess, graceMs = 15_000): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return describeExit(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
    return `did not exit within ${graceMs} ms of SIGTERM; killed`;
  }
  return describeExit(child);
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `exited on ${child.signalCode}` : `exited with code ${child.exitCode}`;
}
