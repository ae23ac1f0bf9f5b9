/**
 * The idle-sessions phase of `npm run bench`: opens N SMTP sessions that send nothing after the
 * greeting, holds them all open, then reads each frontend's VmRSS from /proc/<pid>/status and
 * reports it with KiB per session (RSS growth over the sessions that frontend greeted; the 220
 * names the frontend's pid). `extra` sessions are opened after the N: past the per-task cap they
 * should be answered 421. The sessions are opened `parallel` at a time and closed at the end.
 * Failure: a session that errors or gets no reply in time is counted under errors, never thrown.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { readStatus } from './rss.ts';

export interface IdleOptions {
  readonly host: string;
  readonly port: number;
  readonly sessions: number;
  /** Sessions opened after the N (expected past the cap). */
  readonly extra: number;
  /** The frontends whose RSS is read (pids), when known. */
  readonly frontendPids: readonly number[];
  readonly parallel?: number;
  readonly timeoutMs?: number;
  readonly progress?: (text: string) => void;
  readonly stopped?: () => boolean;
}

export interface IdleFrontend {
  readonly pid: number;
  /** Sessions greeted by this frontend. */
  readonly sessions: number;
  readonly rssBeforeBytes: number | null;
  readonly rssAfterBytes: number | null;
  readonly perSessionKiB: number | null;
  /** "Max open files" soft limit of the process. */
  readonly openFilesLimit: number | null;
}

export interface IdleReport {
  readonly requested: number;
  readonly extra: number;
  /** Sessions greeted 220 and held open at the measurement. */
  readonly open: number;
  /** First replies other than 220 ("421 4.3.2 ..." past the cap), by code and enhanced code. */
  readonly refused: Record<string, number>;
  readonly refusedSample: string | null;
  readonly errors: Record<string, number>;
  readonly openSeconds: number;
  /** The frontend holding the most sessions (the headline figure). */
  readonly busiest: IdleFrontend | null;
  readonly frontends: readonly IdleFrontend[];
  /** The bench's own "Max open files" soft limit (it holds one socket per session). */
  readonly benchOpenFilesLimit: number | null;
}

/** The soft "Max open files" of a pid (or "self"), from /proc/<pid>/limits. */
export function openFilesLimit(pid: number | 'self'): number | null {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? (m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1])) : null;
  } catch {
    return null;
  }
}

type Opened = { socket: Socket; line: string } | { error: string };

/** Connect and read the first reply line (the greeting, or a refusal). */
function openOne(host: string, port: number, timeoutMs: number): Promise<Opened> {
  return new Promise((resolve) => {
    let buffer = '';
    const socket = connect({ host, port });
    socket.setEncoding('latin1');
    const done = (result: Opened) => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      if ('error' in result) socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: 'timeout' }), timeoutMs);
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\r\n');
      if (end >= 0) done({ socket, line: buffer.slice(0, end) });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? 'error' }));
    socket.on('close', () => done({ error: 'closed' }));
  });
}

const pidOf = (greeting: string) => Number(/\(fe-(\d+)@/.exec(greeting)?.[1] ?? NaN);

export async function runIdle(opts: IdleOptions): Promise<IdleReport> {
  const parallel = opts.parallel ?? 100;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const before = new Map(opts.frontendPids.map((pid) => [pid, readStatus(pid)?.rss ?? null]));
  const held: Socket[] = [];
  const perPid = new Map<number, number>();
  const refused: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let refusedSample: string | null = null;
  const start = Date.now();

  const openMany = async (count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count && !opts.stopped?.()) {
        next++;
        const r = await openOne(opts.host, opts.port, timeoutMs);
        if ('error' in r) {
          errors[r.error] = (errors[r.error] ?? 0) + 1;
        } else if (r.line.startsWith('220')) {
          r.socket.on('error', () => undefined); // a reset while held is not the bench's failure
          held.push(r.socket);
          if (held.length % 1000 === 0) opts.progress?.(`idle: ${held.length} sessions open`);
          const pid = pidOf(r.line);
          if (Number.isFinite(pid)) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
        } else {
          const key = r.line.split(' ').slice(0, 2).join(' ');
          refused[key] = (refused[key] ?? 0) + 1;
          refusedSample ??= r.line;
          r.socket.destroy();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  };

  try {
    await openMany(opts.sessions);
    const openSeconds = (Date.now() - start) / 1000;
    // Let the frontends finish the connect stage of the last sessions before reading RSS.
    await new Promise((r) => setTimeout(r, 1000));
    const frontends = opts.frontendPids.map((pid): IdleFrontend => {
      const sessions = perPid.get(pid) ?? 0;
      const rssBefore = before.get(pid) ?? null;
      const rssAfter = readStatus(pid)?.rss ?? null;
      return {
        pid,
        sessions,
        rssBeforeBytes: rssBefore,
        rssAfterBytes: rssAfter,
        perSessionKiB:
          rssBefore !== null && rssAfter !== null && sessions > 0
            ? Number(((rssAfter - rssBefore) / 1024 / sessions).toFixed(2))
            : null,
        openFilesLimit: openFilesLimit(pid),
      };
    });
    const open = held.length;
    if (opts.extra > 0) await openMany(opts.extra);
    const busiest = frontends.reduce<IdleFrontend | null>(
      (best, f) => (best === null || f.sessions > best.sessions ? f : best),
      null,
    );
    return {
      requested: opts.sessions,
      extra: opts.extra,
      open,
      refused,
      refusedSample,
      errors,
      openSeconds: Number(openSeconds.toFixed(2)),
      busiest,
      frontends,
      benchOpenFilesLimit: openFilesLimit('self'),
    };
  } finally {
    for (const s of held) s.destroy();
  }
}
