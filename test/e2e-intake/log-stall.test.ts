/**
 * A log reader that stops never stops SMTP. The local cluster (primary, one frontend worker, one
 * backend) runs with its stdout a pipe this test does not read, at debug level (smtp-server's
 * protocol log: a dozen lines per session) and a small log buffer, so the 64 KiB pipe and the
 * buffer fill within the first sessions. Every session still completes: the message is accepted
 * (250 with a queue id) and is durable in the queue. When the test starts reading again, the
 * processes say how many lines they dropped (`log.dropped`). And with stdout on /dev/full (a full
 * log disk: every write fails with ENOSPC) the cluster neither crashes (its primary's banner
 * included) nor stops taking mail, and SIGTERM still stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ENTRY,
  freePorts,
  freeStablePorts,
  PROCESS_TEST_TIMEOUT_MS,
  portAccepts,
  queuedId,
  readQueue,
} from '../support/cluster.ts';
import { ALICE } from '../support/delivery.ts';
import { watchProcessLogs } from '../support/process-logs.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

const SESSIONS = 120;
/** Bytes of log lines each process holds before dropping: far less than the sessions write. */
const LOG_BUFFER = 8 * 1024;

let proc: ChildProcess | undefined;
let dataDir: string | undefined;

/** The local cluster with its stdout a pipe (not read until the test says so) or /dev/full. */
async function startCluster(stdout: 'pipe' | 'full' = 'pipe'): Promise<{ mx: number }> {
  dataDir = await mkdtemp(join(tmpdir(), 'strato-e2e-'));
  const [mx, submission, smtps] = (await freePorts(3)) as [number, number, number];
  const lmtp = await freeStablePorts(1);
  const out = stdout === 'pipe' ? 'pipe' : openSync('/dev/full', 'w');
  proc = spawn(process.execPath, ['--import', 'tsx', ENTRY.cluster], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: {
      ...process.env,
      STRATO_DATA_DIR: dataDir,
      STRATO_LISTEN_HOST: '127.0.0.1',
      STRATO_SMTP_PORT: String(mx),
      STRATO_SUBMISSION_PORT: String(submission),
      STRATO_SMTPS_PORT: String(smtps),
      STRATO_LMTP_BASE_PORT: String(lmtp),
      STRATO_LOG_LEVEL: 'debug',
      STRATO_LOG_BUFFER_BYTES: String(LOG_BUFFER),
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_QUEUE_PROCESSING: 'false',
    },
    stdio: ['ignore', out, 'pipe'],
  });
  if (typeof out === 'number') closeSync(out);
  const deadline = Date.now() + 60_000;
  while (!(await portAccepts(mx))) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error('the cluster never listened');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { mx };
}

/** `count` sessions one after the other; each must be accepted within 10 s. The queue ids. */
async function sendMany(mx: number, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const last = await within(10_000, sendOne(mx, n), `session ${n}`);
    const id = queuedId(last);
    expect(id, last).toBeDefined();
    ids.push(id!);
  }
  return ids;
}

/** Every id is a durable job in the queue. */
async function expectQueued(ids: readonly string[]): Promise<void> {
  const queued = new Set((await readQueue(dataDir!)).map((m) => m.job.id));
  for (const id of ids) expect(queued.has(id)).toBe(true);
}

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.stdout?.resume(); // let it log its way out
    proc.kill('SIGKILL');
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** One MX session to Alice; the final reply to DATA. Fails on a reply it did not expect. */
async function sendOne(port: number, n: number): Promise<string> {
  const c = await RawSmtp.connect(port);
  try {
    expect((await c.read()).code).toBe(220);
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    return (await c.command(`Subject: stalled log ${n}\r\n\r\nmessage ${n}\r\n.`)).last;
  } finally {
    c.close();
  }
}

/** Rejects after `ms`: a session that hangs (the old behaviour) fails the test instead of stalling it. */
function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

describe('a log reader that stops', () => {
  it(
    'does not stop SMTP: every session completes and its message is durable; drops are reported later',
    async () => {
      const { mx } = await startCluster();
      proc!.stdout!.pause();

      const ids = await sendMany(mx, SESSIONS);
      // Nothing was read (the pipe and the stream's buffer filled long ago), yet all were accepted.
      await expectQueued(ids);

      // Read again: the next completed write reports what was dropped.
      const logs = watchProcessLogs(proc!);
      proc!.stdout!.resume(); // paused explicitly above: a new 'data' listener does not resume it
      await within(10_000, sendOne(mx, SESSIONS), 'the session after the reader came back');
      const dropped = await logs.waitForLog((l) => l.event === 'log.dropped', 20_000);
      expect(dropped.dropped).toBeGreaterThan(0);

      proc!.kill('SIGTERM');
      expect((await logs.exited).code).toBe(0);
      await rm(dataDir!, { recursive: true, force: true });
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'a full log disk (stdout on /dev/full: every write fails ENOSPC) neither crashes the cluster nor stops SMTP, and it still stops cleanly',
    async () => {
      const { mx } = await startCluster('full');
      const logs = watchProcessLogsStderr(proc!);
      const ids = await sendMany(mx, 30);
      await expectQueued(ids);
      expect(proc!.exitCode).toBeNull();
      proc!.kill('SIGTERM');
      expect((await logs).code, 'clean exit').toBe(0);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

/** The exit of a process whose stdout is not a pipe (stderr is drained so it never blocks). */
function watchProcessLogsStderr(p: ChildProcess): Promise<{ code: number | null }> {
  p.stderr!.resume();
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code })));
}
