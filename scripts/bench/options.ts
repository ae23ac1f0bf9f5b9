/**
 * Command-line options of `npm run bench` (node:util parseArgs) and its --help text.
 * `parseOptions` returns the options or 'help'; bad or conflicting options throw BenchUsageError
 * naming the option, which main.ts prints as one line before exiting 2.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Mode } from './load.ts';

export const SENDER = 'bench@example.org';
export const RECIPIENT = 'alice@demo.strato.test';

export const USAGE = `Usage: npm run bench -- [options]

Drives a Strato cluster over SMTP (port 25 role, no TLS, no AUTH) and reports throughput,
DATA->250 latency, errors by reply code and the cluster's memory. Sender ${SENDER},
recipient ${RECIPIENT} (the demo account the local cluster seeds).

Options:
  --sessions N       concurrent SMTP sessions (default 10)
  --messages M       messages per mode, in total over all sessions (default 2000)
  --seconds S        run each mode for S seconds instead of a message count
  --size BYTES       message size (default 1024)
  --mode MODE        new (a connection per message), reuse (persistent connections) or both (default)
  --workers N        frontend workers of the cluster it starts (default: the cluster's own, 2)
  --target HOST:PORT drive an already running cluster instead of starting one
  --data-dir DIR     with --target: its data dir, to read run/cluster.json for memory figures
  --json             print only the JSON report
  -h, --help         this help

Examples:
  npm run bench -- --messages 2000 --sessions 10
  npm run bench -- --mode reuse --seconds 20 --sessions 50 --size 10240
  npm run bench -- --target 127.0.0.1:2525 --data-dir ./.strato --mode reuse`;

export interface Options {
  sessions: number;
  messages?: number;
  seconds?: number;
  size: number;
  modes: Mode[];
  workers?: number;
  target?: { host: string; port: number };
  dataDir?: string;
  json: boolean;
}

export class BenchUsageError extends Error {}

function positive(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new BenchUsageError(`--${name} must be a positive whole number (got "${value}")`);
  return Number(value);
}

export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      sessions: { type: 'string' },
      messages: { type: 'string' },
      seconds: { type: 'string' },
      size: { type: 'string' },
      mode: { type: 'string' },
      workers: { type: 'string' },
      target: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (values.messages !== undefined && values.seconds !== undefined) {
    throw new BenchUsageError('give --messages or --seconds, not both');
  }
  const mode = values.mode ?? 'both';
  if (!['new', 'reuse', 'both'].includes(mode))
    throw new BenchUsageError(`--mode must be new, reuse or both (got "${mode}")`);
  let target: Options['target'];
  if (values.target !== undefined) {
    const m = /^(.+):(\d+)$/.exec(values.target);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
      throw new BenchUsageError(`--target must be host:port (got "${values.target}")`);
    target = { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  }
  if (values['data-dir'] !== undefined && !target)
    throw new BenchUsageError('--data-dir only goes with --target');
  if (values.workers !== undefined && target)
    throw new BenchUsageError('--workers only applies to the cluster the bench starts');
  const seconds = positive('seconds', values.seconds);
  return {
    sessions: positive('sessions', values.sessions, 10)!,
    ...(seconds !== undefined ? { seconds } : { messages: positive('messages', values.messages, 2000)! }),
    size: positive('size', values.size, 1024)!,
    modes: mode === 'both' ? ['new', 'reuse'] : [mode as Mode],
    ...(values.workers !== undefined ? { workers: positive('workers', values.workers)! } : {}),
    ...(target ? { target } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: resolve(values['data-dir']) } : {}),
    json: values.json === true,
  };
}
