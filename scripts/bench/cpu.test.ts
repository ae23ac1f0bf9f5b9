import { describe, expect, it } from 'vitest';
import { CpuMeter, readCpuMs } from './cpu.ts';
import { openFilesLimit } from './idle.ts';
import { parseOptions } from './options.ts';

describe('bench CPU and idle-phase helpers', () => {
  it('reads the CPU time of a process and what it used since the meter started', () => {
    expect(readCpuMs(process.pid)).toBeGreaterThan(0);
    expect(readCpuMs(2 ** 30)).toBeUndefined();
    const meter = new CpuMeter([
      { pid: process.pid, role: 'self' },
      { pid: 2 ** 30, role: 'gone' },
    ]);
    const until = Date.now() + 50;
    while (Date.now() < until) Math.sqrt(Math.random());
    const report = meter.stop();
    expect(report.available).toBe(true);
    expect(report.processes.map((p) => p.role)).toEqual(['self']);
    expect(report.totalMs).toBeGreaterThanOrEqual(0);
  });

  it('reads the open-files limit', () => {
    expect(openFilesLimit('self')).toBeGreaterThan(0);
    expect(openFilesLimit(2 ** 30)).toBeNull();
  });

  it('parses --idle and --mode idle', () => {
    expect(parseOptions([])).toMatchObject({ idle: 10_000 });
    expect(parseOptions(['--idle', '0'])).toMatchObject({ idle: 0 });
    expect(parseOptions(['--mode', 'idle', '--idle', '500'])).toMatchObject({
      idle: 500,
      modes: [],
      e2e: 'off',
    });
    expect(() => parseOptions(['--mode', 'idle', '--idle', '0'])).toThrow('--mode idle');
    expect(() => parseOptions(['--idle', 'x'])).toThrow('--idle');
  });
});
