/**
 * Test helper: runs the real `bin/strato.js` as a child process against a temp data dir and
 * collects exit code, stdout and stderr. Each run costs a node + tsx start (~0.3-0.5 s), so tests
 * group their assertions and start independent runs together. A run that hangs is killed after
 * 20 s and reported with code -1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/strato.js', import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is always closed). */
  readonly input?: string;
  readonly env?: Record<string, string>;
  /** Leave out --data-dir (the test sets STRATO_DATA_DIR or wants the default). */
  readonly noDataDir?: boolean;
}

export function strato(dataDir: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const argv = opts.noDataDir ? [...args] : ['--data-dir', dataDir, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
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
