/**
 * Real processes on one data dir: concurrent producers/consumers lose nothing, an enqueue that
 * resolved survives SIGKILL of its process, and a job held by a killed process comes back after
 * its visibility expires.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeJob, readAll } from '../contract/helpers.ts';
import { openEmbeddedStorage } from './open.ts';
import { openDatabase } from './sqlite.ts';
import { tempDir } from './test-support.ts';

const CHILD = fileURLToPath(new URL('./test-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching, or rejects if the child exits first. */
  waitFor(pred: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

function startChild(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  const listeners = new Set<() => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const l of [...listeners]) l();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitFor = (pred: (line: string) => boolean, timeoutMs = 20_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = lines.find(pred);
        if (hit !== undefined) {
          done();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`child timed out; stderr:\n${stderr}`));
      }, timeoutMs);
      const onExit = (): void => {
        setImmediate(() => {
          check();
          done();
          reject(new Error(`child exited early; stderr:\n${stderr}`));
        });
      };
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
        proc.off('exit', onExit);
      };
      listeners.add(check);
      proc.on('exit', onExit);
      check();
    });
  return { proc, lines, waitFor, exited };
}

describe('embedded storage across processes', () => {
  let dir: string;
  const children: Child[] = [];
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('two processes enqueue and consume concurrently without losing a job', { timeout: 60_000 }, async () => {
    const a = startChild(['worker', dir, 'A', '150']);
    const b = startChild(['worker', dir, 'B', '150']);
    children.push(a, b);
    await Promise.all([a.waitFor((l) => l === 'DONE', 45_000), b.waitFor((l) => l === 'DONE', 45_000)]);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    const field = (c: Child, tag: string) =>
      c.lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
    const enqueued = [...field(a, 'ENQ'), ...field(b, 'ENQ')].sort();
    const received = [...field(a, 'RECV'), ...field(b, 'RECV')].sort();
    expect(enqueued).toHaveLength(300);
    expect(received).toEqual(enqueued);
    // Both processes did real work on the shared queue.
    expect(field(a, 'RECV').length).toBeGreaterThan(0);
    expect(field(b, 'RECV').length).toBeGreaterThan(0);
    const s = await openEmbeddedStorage({ dataDir: dir });
    expect(await s.queue.depth()).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0, held: 0 });
    await s.close();
  });

  // 4 writers: small batches; 32: the kill lands while a large group commit (inline bodies and
  // jobs of many messages in one transaction) is being built or committed.
  it.each([4, 32])(
    'keeps every job whose enqueue resolved when the process is killed with SIGKILL (%i writers)',
    {
      timeout: 60_000,
    },
    async (writers) => {
      const c = startChild(['enqueue-forever', dir, String(writers)]);
      children.push(c);
      await c.waitFor(() => c.lines.length >= 300);
      c.proc.kill('SIGKILL');
      await c.exited;
      const reported = c.lines.filter((l) => l.startsWith('ENQ ')).map((l) => l.split(' '));
      expect(reported.length).toBeGreaterThanOrEqual(300);

      const db = openDatabase(`${dir}/queue.db`);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      // The 1 KiB bodies went the inline way, into the same database as their jobs.
      expect(db.prepare('SELECT COUNT(*) FROM message_bodies').pluck().get()).toBeGreaterThanOrEqual(
        reported.length,
      );
      db.close();
      const s = await openEmbeddedStorage({ dataDir: dir });
      try {
        for (const [, id, sha] of reported) {
          const entry = await s.queue.get(id!);
          expect(entry?.status).toBe('ready');
          const body = await readAll(await s.messages.open(entry!.job.body));
          expect(createHash('sha256').update(body).digest('hex')).toBe(sha);
        }
      } finally {
        await s.close();
      }
    },
  );

  it('makes a job held by a killed process receivable again after its visibility expires', {
    timeout: 60_000,
  }, async () => {
    const s = await openEmbeddedStorage({ dataDir: dir });
    try {
      const job = makeJob();
      await s.queue.enqueue([job]);
      const c = startChild(['hold', dir, '2']);
      children.push(c);
      expect(await c.waitFor((l) => l.startsWith('HELD '))).toBe(`HELD ${job.id}`);
      c.proc.kill('SIGKILL');
      await c.exited;
      expect((await s.queue.get(job.id))?.status).toBe('in-flight');
      expect(await s.queue.receive({ max: 1, visibilitySeconds: 30 })).toEqual([]);
      const [again] = await s.queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 5_000 });
      expect(again?.job).toEqual(job);
      expect(again?.receiveCount).toBe(2);
    } finally {
      await s.close();
    }
  });
});
