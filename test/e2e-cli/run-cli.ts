/**
 * Test helpers for the `strato` CLI against a temp data dir. `strato` runs the CLI in-process:
 * the same `main` bin/strato.js calls, with stdin from a buffer, stdout/stderr collected and the
 * exit code returned (no node + tsx start per run, so runs are cheap and need no kill timer).
 * `stratoProcess` spawns the real bin/strato.js, for the few tests that check the binary itself.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { main } from '../../cli/main.ts';

const BIN = new URL('../../bin/strato.js', import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is always closed). */
  readonly input?: string;
  /** In-process: the whole environment of the run. Spawned: added to this process's. */
  readonly env?: Record<string, string>;
  /** Leave out --data-dir (the test sets STRATO_DATA_DIR or wants the default). */
  readonly noDataDir?: boolean;
}

const argvFor = (dataDir: string, args: readonly string[], opts: RunOptions): string[] =>
  opts.noDataDir ? [...args] : ['--data-dir', dataDir, ...args];

/** A stream that keeps what is written to it; `text()` decodes it once the run is over. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * One in-process run. The environment holds only `opts.env`, so variables of the machine running
 * the tests (STRATO_STORAGE, STRATO_DEBUG...) cannot change what the CLI does.
 */
export async function strato(
  dataDir: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await main({
    argv: argvFor(dataDir, args, opts),
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { ...opts.env },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** The real binary as a child process; no kill timer (the test's own timeout bounds it). */
export function stratoProcess(
  dataDir: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argvFor(dataDir, args, opts)], {
      env: { ...process.env, STRATO_DEBUG: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? -1, stdout, stderr: stderr + (signal ?? '') }),
    );
    child.stdin.end(opts.input ?? '');
  });
}

/** A CLI bound to one data dir; `json` parses stdout of a --json run and checks exit 0. */
export function cliFor(dataDir: string) {
  const run = (args: readonly string[], opts?: RunOptions) => strato(dataDir, args, opts);
  const ok = async (args: readonly string[], opts?: RunOptions): Promise<string> => {
    const r = await run(args, opts);
    if (r.code !== 0 || r.stderr !== '') {
      throw new Error(`strato ${args.join(' ')} -> exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r.stdout;
  };
  const json = async <T = unknown>(args: readonly string[]): Promise<T> =>
    JSON.parse(await ok(['--json', ...args])) as T;
  return { run, ok, json };
}

export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'strato-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** True when the text looks like it contains a JS stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|\(native\))$/m.test(text);
}
