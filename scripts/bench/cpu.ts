/**
 * CPU time of the cluster processes, from /proc/<pid>/stat (Linux): user + system time of each
 * process (its own threads; utime and stime, fields 14 and 15, in USER_HZ ticks of 10 ms), read
 * when a phase starts and when it ends. Failure: a process that is gone or a system without /proc
 * is skipped; `available` says whether anything could be read at all.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the kernel reports process times in these ticks per second (100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a pid in ms, or undefined when unreadable. */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuReport {
  readonly available: boolean;
  /** CPU ms used by all processes during the phase. */
  readonly totalMs: number;
  readonly processes: readonly { pid: number; role: string; ms: number }[];
}

export class CpuMeter {
  private readonly start: Map<number, number>;

  constructor(private readonly pids: readonly { pid: number; role: string }[]) {
    this.start = new Map();
    for (const { pid } of pids) {
      const ms = readCpuMs(pid);
      if (ms !== undefined) this.start.set(pid, ms);
    }
  }

  /** CPU used since the meter was made, per process and in total. */
  stop(): CpuReport {
    const processes: { pid: number; role: string; ms: number }[] = [];
    for (const { pid, role } of this.pids) {
      const before = this.start.get(pid);
      const now = readCpuMs(pid);
      if (before !== undefined && now !== undefined) processes.push({ pid, role, ms: now - before });
    }
    return {
      available: processes.length > 0,
      totalMs: processes.reduce((sum, p) => sum + p.ms, 0),
      processes,
    };
  }
}
