/**
 * The real `bin/strato.js` as a child process, for what the in-process runs cannot show: the exit
 * code the process ends with, its stdout and stderr pipes, stdin, and the environment it passes
 * on (STRATO_DEBUG). A few runs only, started together; no per-process kill timer,
 * the test timeout bounds them. The other CLI tests call the same `main` in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { hasStackTrace, stratoProcess, tempDataDir } from './run-cli.ts';

const data = tempDataDir();

beforeAll(async () => {
  const storage = await openEmbeddedStorage({ dataDir: data.dir });
  try {
    await seedDomain(storage.directory, 'example.com', [], { createdAt: Date.now() });
  } finally {
    await storage.close();
  }
});
afterAll(() => data.remove());

describe('the strato binary', () => {
  it('exits 0, 1 and 2 with its output on the right pipes, reading stdin and the environment', async () => {
    const notADir = new URL('../../package.json', import.meta.url).pathname;
    const [help, usage, notFound, stdin, plain, debug] = await Promise.all([
      stratoProcess(data.dir, ['--help'], { noDataDir: true }),
      stratoProcess(data.dir, ['domain', 'add', 'localhost-ish']),
      stratoProcess(data.dir, ['domain', 'show', 'nope.example']),
      stratoProcess(data.dir, ['account', 'add', 'dave@example.com', '--password-stdin'], { input: '\n' }),
      stratoProcess(notADir, ['domain', 'list']),
      stratoProcess(notADir, ['domain', 'list'], { env: { STRATO_DEBUG: '1' } }),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: strato \[options\] \[command\]/);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 not found / conflict / failure, 2 bad usage');

    expect(usage).toEqual({
      code: 2,
      stdout: '',
      stderr: 'strato: invalid domain "localhost-ish": domain needs at least one dot\n',
    });
    expect(notFound).toEqual({ code: 1, stdout: '', stderr: 'strato: domain nope.example does not exist\n' });
    expect(stdin).toEqual({ code: 2, stdout: '', stderr: 'strato: the password is empty\n' });

    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr).toMatch(/^strato: cannot open the data dir .*package\.json: EEXIST[^\n]*\n$/);
    expect(hasStackTrace(plain.stderr)).toBe(false);
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.trimEnd());
    expect(hasStackTrace(debug.stderr)).toBe(true);
  });
});
