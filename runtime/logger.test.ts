/**
 * The asynchronous logger against a real pipe: a child process logs 2000 lines into a stdout
 * pipe this test does not read at first; the child's event loop keeps running (it counts timer
 * ticks meanwhile), and once the test reads, every line is either delivered or counted in one
 * `log.dropped` line — none lost silently, none blocking.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = `
import { createLogger } from ${JSON.stringify(join(import.meta.dirname, 'logger.ts'))};
const logger = createLogger({ level: 'info', role: 'test' }, { asyncBufferBytes: 16 * 1024 });
for (let i = 0; i < 2000; i++) logger.info({ event: 'test.line', i, pad: 'p'.repeat(200) });
let ticks = 0;
const timer = setInterval(() => ticks++, 10);
process.on('message', () => {
  clearInterval(timer);
  process.send({ ticks, dropped: logger.dropped() });
  logger.info({ event: 'test.after' });
});
process.send({ ready: true });
`;

describe('createLogger with an asynchronous stdout', () => {
  it('never blocks on a pipe nobody reads, and accounts for every line it drops', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout.pause();
    const messages: Record<string, unknown>[] = [];
    const next = () =>
      new Promise<Record<string, unknown>>((r) => child.once('message', (m) => r(m as never)));
    messages.push(await next()); // ready: all 2000 lines were logged without blocking
    await new Promise((r) => setTimeout(r, 300));
    child.send('report');
    const report = await next();
    // The event loop ran while stdout was stuck.
    expect(report.ticks as number).toBeGreaterThan(5);
    expect(report.dropped as number).toBeGreaterThan(0);

    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stdout.resume();
    const lines = () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
    const deadline = Date.now() + 10_000;
    while (
      !lines().some((l) => l.event === 'log.dropped') ||
      !lines().some((l) => l.event === 'test.after')
    ) {
      if (Date.now() > deadline) throw new Error(`no log.dropped/test.after line in:\n${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill();
    const all = lines();
    const delivered = all.filter((l) => l.event === 'test.line').length;
    const dropped = all
      .filter((l) => l.event === 'log.dropped')
      .reduce((n, l) => n + (l.dropped as number), 0);
    expect(dropped).toBe(report.dropped);
    expect(delivered + dropped).toBe(2000);
  });
});
