/**
 * The benchmark's report: turns load results, memory samples, the end-to-end delivery figures and
 * the queue check into the JSON shape and a plain-text table with error details, per-process
 * memory, CPU per message, the idle-sessions figures and notes.
 * Pure formatting: absent figures print as "-" or null; nothing here throws.
 */
import type { CpuReport } from './cpu.ts';
import type { E2eReport } from './e2e.ts';
import type { IdleReport } from './idle.ts';
import type { LoadResult } from './load.ts';
import { percentile } from './load.ts';
import type { MemoryReport } from './rss.ts';

export interface QueueCheck {
  readonly accepted: number;
  /** Accepted ids still in the queue (any status). */
  readonly queued: number;
  /** Accepted ids already delivered into the recipient's mailbox by queue processing. */
  readonly delivered: number;
  /** Accepted ids found in neither: lost messages. */
  readonly missing: number;
  readonly missingIds: readonly string[];
  readonly depth: { ready: number; inFlight: number; delayed: number; dead: number };
  /** Delivered messages found by Message-ID because their delivery key did not carry the queue id. */
  readonly deliveredByMessageId: number;
  /** Accepted messages stored more than once. */
  readonly duplicates: number;
  readonly ok: boolean;
}

export interface ModeReport {
  readonly mode: string;
  readonly sessions: number;
  readonly attempted: number;
  readonly accepted: number;
  readonly failed: number;
  readonly connections: number;
  readonly elapsedSeconds: number;
  readonly messagesPerSecond: number;
  readonly latencyMs: { p50: number | null; p99: number | null; mean: number | null; max: number | null };
  readonly greetingMsP50: number | null;
  readonly errors: Record<string, number>;
  readonly errorSamples: Record<string, string>;
  readonly memory: {
    readonly peakTotalRssBytes: number | null;
    readonly totalHwmBytes: number | null;
    readonly processes: readonly { pid: number; role: string; peakRssBytes: number; hwmBytes: number }[];
  };
  /** CPU time of all cluster processes during the mode (null: no pids or no /proc). */
  readonly cpu: {
    readonly totalMs: number | null;
    readonly perMessageMs: number | null;
    readonly processes: readonly { pid: number; role: string; ms: number }[];
  };
}

const round = (n: number | undefined, digits = 2): number | null =>
  n === undefined || !Number.isFinite(n) ? null : Number(n.toFixed(digits));

export function modeReport(
  r: LoadResult,
  mem: MemoryReport | undefined,
  cpu?: CpuReport | undefined,
): ModeReport {
  const cpuMs = cpu?.available ? cpu.totalMs : undefined;
  const lat = r.latenciesMs;
  return {
    mode: r.mode,
    sessions: r.sessions,
    attempted: r.attempted,
    accepted: r.accepted,
    failed: r.attempted - r.accepted,
    connections: r.connections,
    elapsedSeconds: round(r.elapsedMs / 1000, 3) ?? 0,
    messagesPerSecond: round(r.elapsedMs > 0 ? (r.accepted * 1000) / r.elapsedMs : 0, 1) ?? 0,
    latencyMs: {
      p50: round(percentile(lat, 50)),
      p99: round(percentile(lat, 99)),
      mean: round(lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : undefined),
      max: round(lat.length ? Math.max(...lat) : undefined),
    },
    greetingMsP50: round(percentile(r.greetingMs, 50), 1),
    errors: r.errors,
    errorSamples: r.errorSamples,
    memory: {
      peakTotalRssBytes: mem?.available ? mem.peakTotalRss : null,
      totalHwmBytes: mem?.available ? mem.totalHwm : null,
      processes: (mem?.available ? mem.processes : []).map((p) => ({
        pid: p.pid,
        role: p.role,
        peakRssBytes: p.peakRss,
        hwmBytes: p.hwm,
      })),
    },
    cpu: {
      totalMs: round(cpuMs, 0),
      perMessageMs: round(cpuMs !== undefined && r.accepted > 0 ? cpuMs / r.accepted : undefined, 3),
      processes: cpu?.available ? cpu.processes.map((p) => ({ ...p })) : [],
    },
  };
}

const mib = (bytes: number | null): string =>
  bytes === null ? '-' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(2));

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => c.padStart(i === 0 ? 0 : widths[i]!).padEnd(i === 0 ? widths[i]! : 0)).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

/** The end-to-end section: status, rate, latency, what was matched how and what is missing. */
export function formatE2e(e: E2eReport): string[] {
  const out = [
    `End-to-end delivery (${e.recipients.join(', ')}): ${e.status}`,
    `  stored ${e.delivered} of ${e.accepted} accepted` +
      (e.seconds !== null ? ` in ${e.seconds.toFixed(2)} s (first 250 -> last stored)` : '') +
      (e.deliveredPerSecond !== null ? `: ${e.deliveredPerSecond.toFixed(1)} delivered msg/s` : ''),
    `  accept -> stored latency: p50 ${ms(e.latencyMs.p50)} ms, p99 ${ms(e.latencyMs.p99)} ms, max ${ms(e.latencyMs.max)} ms`,
  ];
  if (e.status !== 'delivered') {
    const by = Object.entries(e.missingByStatus)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    out.push(
      `  missing ${e.missing}${by ? ` (${by})` : ''}; gave up after nothing new was stored for ${e.stallTimeoutSeconds} s` +
        ` (waited ${e.drainSeconds} s after the last 250)`,
    );
    if (e.missingIds.length > 0)
      out.push(`  missing ids (first 10): ${e.missingIds.slice(0, 10).join(', ')}`);
  }
  if (e.matched.byMessageId > 0) {
    out.push(
      `  ${e.matched.byMessageId} stored message(s) found only by Message-ID: their delivery key is not "<queue id>/INBOX"`,
    );
  }
  if (e.matched.duplicates > 0) out.push(`  ${e.matched.duplicates} message(s) stored more than once`);
  if (!e.settle.settled) {
    out.push(`  note: ${e.settle.backlog} earlier job(s) were still ready or in flight when sending began`);
  } else if (e.settle.waitedSeconds > 0) {
    out.push(`  (waited ${e.settle.waitedSeconds} s for earlier traffic to leave the queue first)`);
  }
  return out;
}

/** The idle-sessions section: sessions held, the busiest frontend's RSS, refusals past the cap. */
export function formatIdle(i: IdleReport): string[] {
  const limit = (n: number | null) => (n === null ? '?' : String(n));
  const out = [
    `Idle sessions: ${i.open} of ${i.requested} open after ${i.openSeconds.toFixed(1)} s` +
      ` (bench open-files limit ${limit(i.benchOpenFilesLimit)})`,
  ];
  for (const f of i.frontends) {
    out.push(
      `  frontend ${f.pid}: ${f.sessions} sessions, RSS ${mib(f.rssBeforeBytes)} -> ${mib(f.rssAfterBytes)}` +
        `, ${f.perSessionKiB === null ? '-' : f.perSessionKiB.toFixed(1)} KiB/session (open-files limit ${limit(f.openFilesLimit)})`,
    );
  }
  const refused = Object.entries(i.refused).map(([k, v]) => `${v} x ${k}`);
  if (i.extra > 0 || refused.length > 0) {
    out.push(
      `  past the cap (${i.extra} extra): ${refused.length > 0 ? refused.join(', ') : 'none refused'}` +
        (i.refusedSample ? ` (e.g. ${i.refusedSample})` : ''),
    );
  }
  const errors = Object.entries(i.errors).map(([k, v]) => `${v} x ${k}`);
  if (errors.length > 0) out.push(`  errors: ${errors.join(', ')}`);
  return out;
}

export function formatText(report: {
  target: string;
  modes: readonly ModeReport[];
  e2e?: E2eReport | null;
  queueCheck: QueueCheck | null;
  idle?: IdleReport | null;
  notes: readonly string[];
}): string {
  const out: string[] = [`Strato SMTP benchmark against ${report.target}`, ''];
  out.push(
    table(
      [
        'mode',
        'sessions',
        'sent',
        'accepted',
        'failed',
        'seconds',
        'msg/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'peak RSS',
        'sum HWM',
        'CPU/msg',
      ],
      report.modes.map((m) => [
        m.mode,
        String(m.sessions),
        String(m.attempted),
        String(m.accepted),
        String(m.failed),
        m.elapsedSeconds.toFixed(2),
        m.messagesPerSecond.toFixed(1),
        ms(m.latencyMs.p50),
        ms(m.latencyMs.p99),
        ms(m.latencyMs.max),
        mib(m.memory.peakTotalRssBytes),
        mib(m.memory.totalHwmBytes),
        m.cpu.perMessageMs === null ? '-' : `${m.cpu.perMessageMs.toFixed(2)} ms`,
      ]),
    ),
  );
  for (const m of report.modes) {
    for (const [key, count] of Object.entries(m.errors)) {
      out.push(`  ${m.mode}: ${count} x ${key} (e.g. ${m.errorSamples[key] ?? '?'})`);
    }
  }
  const procs = report.modes.flatMap((m) =>
    m.memory.processes.map(
      (p) => `  ${m.mode}: ${p.role} ${p.pid}: peak RSS ${mib(p.peakRssBytes)}, HWM ${mib(p.hwmBytes)}`,
    ),
  );
  if (procs.length > 0) out.push('', 'Memory per process:', ...procs);
  if (report.e2e) out.push('', ...formatE2e(report.e2e));
  const q = report.queueCheck;
  if (q) {
    out.push(
      '',
      `Queue check: accepted ${q.accepted}, queued ${q.queued}, delivered ${q.delivered}, missing ${q.missing} -> ${q.ok ? 'OK' : 'MISMATCH'}`,
      `  queue depth after the run: ready ${q.depth.ready}, in-flight ${q.depth.inFlight}, delayed ${q.depth.delayed}, dead ${q.depth.dead}`,
    );
    if (q.missingIds.length > 0)
      out.push(`  missing ids (first 10): ${q.missingIds.slice(0, 10).join(', ')}`);
    if (q.deliveredByMessageId > 0)
      out.push(`  ${q.deliveredByMessageId} delivered message(s) found by Message-ID, not by delivery key`);
    if (q.duplicates > 0) out.push(`  ${q.duplicates} message(s) stored more than once`);
  }
  if (report.idle) out.push('', ...formatIdle(report.idle));
  out.push('', 'Notes:', ...report.notes.map((n) => `  - ${n}`));
  return out.join('\n');
}
