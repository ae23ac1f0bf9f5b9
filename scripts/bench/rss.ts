/**
 * Memory of the cluster processes, from /proc/<pid>/status (Linux): VmRSS sampled every 100 ms
 * (the peak of the summed RSS and each process's peak) and VmHWM (the kernel's own per-process
 * high-water mark since start). Failure: a process that is gone or a system without /proc is
 * skipped; `available` says whether anything could be read at all.
 */
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  readonly pid: number;
  /** "primary", or the worker's role from cluster.json ("frontend", "backend"), else "worker". */
  readonly role: string;
  /** Peak VmRSS seen by the sampler, bytes. */
  peakRss: number;
  /** VmHWM at the last read, bytes. */
  hwm: number;
}

export interface MemoryReport {
  readonly available: boolean;
  readonly samples: number;
  /** Peak over samples of the summed VmRSS of all processes, bytes. */
  readonly peakTotalRss: number;
  /** Sum of the processes' VmHWM, bytes (each peaked at its own time: an upper bound). */
  readonly totalHwm: number;
  readonly processes: readonly ProcessMemory[];
}

/** VmRSS and VmHWM of a pid in bytes, or undefined when unreadable. */
export function readStatus(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    return Number.isFinite(rss) ? { rss, hwm: Number.isFinite(hwm) ? hwm : rss } : undefined;
  } catch {
    return undefined;
  }
}

export class RssSampler {
  private readonly procs: ProcessMemory[];
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;
  private peakTotal = 0;
  private anyRead = false;

  constructor(
    primaryPid: number,
    workerPids: readonly number[],
    intervalMs = 100,
    roles: Readonly<Record<number, string>> = {},
  ) {
    this.procs = [
      { pid: primaryPid, role: 'primary', peakRss: 0, hwm: 0 },
      ...workerPids.map((pid) => ({ pid, role: roles[pid] ?? 'worker', peakRss: 0, hwm: 0 })),
    ];
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Take one sample now (also done every interval). */
  sample(): void {
    let total = 0;
    for (const p of this.procs) {
      const s = readStatus(p.pid);
      if (!s) continue;
      this.anyRead = true;
      total += s.rss;
      p.peakRss = Math.max(p.peakRss, s.rss);
      p.hwm = Math.max(p.hwm, s.hwm);
    }
    this.samples++;
    this.peakTotal = Math.max(this.peakTotal, total);
  }

  /** Stop sampling (after a last sample) and report. */
  stop(): MemoryReport {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return this.report();
  }

  report(): MemoryReport {
    return {
      available: this.anyRead,
      samples: this.samples,
      peakTotalRss: this.peakTotal,
      totalHwm: this.procs.reduce((sum, p) => sum + p.hwm, 0),
      processes: this.procs.map((p) => ({ ...p })),
    };
  }
}
