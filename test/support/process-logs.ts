/**
 * Collects a child process's JSON log lines as they arrive (non-JSON lines, like the banner,
 * stay only in the raw output) and lets a test wait for a line matching a predicate, failing
 * with the whole output after a timeout. Also exposes the process's exit as a promise.
 */
import type { ChildProcess } from 'node:child_process';

export interface LogLine {
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface ProcessLogs {
  readonly logs: LogLine[];
  output(): string;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function watchProcessLogs(proc: ChildProcess): ProcessLogs {
  let raw = '';
  let parsedUpTo = 0;
  const logs: LogLine[] = [];
  const watchers: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const onText = (chunk: string) => {
    raw += chunk;
    const end = raw.lastIndexOf('\n');
    if (end < parsedUpTo) return;
    for (const line of raw.slice(parsedUpTo, end).split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as LogLine;
        logs.push(entry);
        for (const w of watchers.splice(0)) {
          if (w.match(entry)) w.resolve(entry);
          else watchers.push(w);
        }
      } catch {
        // a partial or non-JSON line: ignore
      }
    }
    parsedUpTo = end + 1;
  };
  proc.stdout!.setEncoding('utf8').on('data', onText);
  proc.stderr!.setEncoding('utf8').on('data', onText);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 15_000) => {
    const seen = logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`log line not seen within ${timeoutMs} ms; output:\n${raw}`)),
        timeoutMs,
      );
      watchers.push({
        match,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  };
  return { logs, output: () => raw, waitForLog, exited };
}
