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
export const DEMO_DOMAIN = 'demo.strato.test';
export const DEFAULT_E2E_TIMEOUT_SECONDS = 30;
export const DEFAULT_IDLE_SESSIONS = 10_000;
/** The account --redirect sends every e2e message on to (created by the bench). */
export const REDIRECT_TARGET = 'bench-redirect@demo.strato.test';

export const USAGE = `Usage: npm run bench -- [options]

Drives a Strato cluster over SMTP (port 25 role, no TLS, no AUTH) and reports throughput,
DATA->250 latency, errors by reply code and the cluster's memory. Sender ${SENDER},
recipient ${RECIPIENT} (the demo account the local cluster seeds).

Each phase starts once earlier traffic has left the queue (ready and in-flight jobs; read from
the data dir), so phases do not compete with the delivery of the one before.
The end-to-end phase (e2e) then measures delivery: it waits until earlier traffic has left the
queue, sends the messages over persistent sessions, and polls the recipients' mailbox index until
each is stored; it reports delivered messages/s (first 250 -> last stored), accept->stored
latency p50/p99 and anything not stored when nothing new arrived for --e2e-timeout seconds.

Options:
  --sessions N       concurrent SMTP sessions (default 10)
  --messages M       messages per mode, in total over all sessions (default 2000)
  --seconds S        run each mode for S seconds instead of a message count
  --size BYTES       message size (default 1024)
  --mode MODE        new (a connection per message), reuse (persistent connections), both
                     (default: new, reuse, then e2e when the cluster has live backends), e2e,
                     or idle (only the idle-sessions phase)
  --idle N           idle-sessions phase: hold N sessions that send nothing after the greeting
                     on one frontend process and report its RSS and KiB per session (default
                     ${DEFAULT_IDLE_SESSIONS}; 0 = skip). On its own run the bench starts a one-frontend
                     cluster with STRATO_MAX_CLIENTS=N for it and opens 3 more sessions, which
                     should get 421. Needs N + some open files in the bench and the frontend
                     (ulimit -n; both are reported)
  --e2e              add the e2e phase to any mode, even when no backend is registered
  --no-e2e           leave the e2e phase out of "both"
  --rcpts LIST       e2e recipients, comma-separated; a bare name means name@${DEMO_DOMAIN}
                     (default ${RECIPIENT}; e.g. alice,bob spreads the messages over both)
  --e2e-timeout S    give up when nothing new was stored (or the queue stopped draining before
                     a phase) for S seconds (default ${DEFAULT_E2E_TIMEOUT_SECONDS})
  --redirect         e2e through a rule: each recipient gets a redirect rule to
                     ${REDIRECT_TARGET}, and delivery is measured at that account (each
                     message passes a backend twice: the rule's account redirects it, the
                     target stores it)
  --generated-mail M queue (default: rule-made mail goes to the shared queue, processed once) or
                     smtp (forward to frontends: submitted over SMTP and processed again); for
                     the cluster the bench starts
  --workers N        frontend workers of the cluster it starts (default: the cluster's own, 2)
  --backends N       LMTP backends of the cluster it starts (default: the cluster's own, 2)
  --target HOST:PORT drive an already running cluster instead of starting one
  --data-dir DIR     with --target: its data dir, to read run/cluster.json for memory figures
                     and the mailbox index for e2e
  --json             print only the JSON report
  -h, --help         this help

Examples:
  npm run bench -- --messages 2000 --sessions 10
  npm run bench -- --mode e2e --messages 2000 --rcpts alice,bob
  npm run bench -- --mode e2e --redirect --generated-mail smtp --messages 1000
  npm run bench -- --mode reuse --seconds 20 --sessions 50 --size 10240
  npm run bench -- --mode idle --idle 10000
  npm run bench -- --target 127.0.0.1:2525 --data-dir ./.strato --mode reuse`;

export interface Options {
  sessions: number;
  messages?: number;
  seconds?: number;
  size: number;
  modes: Mode[];
  /** auto: after new/reuse when the cluster has live backends; on: always; off: never. */
  e2e: 'auto' | 'on' | 'off';
  rcpts: string[];
  e2eTimeoutSeconds: number;
  /** Idle sessions to hold in the idle phase; 0 = no such phase. */
  idle: number;
  /** Seed redirect rules and measure delivery at REDIRECT_TARGET. */
  redirect: boolean;
  generatedMail?: 'queue' | 'smtp';
  workers?: number;
  backends?: number;
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
      backends: { type: 'string' },
      e2e: { type: 'boolean' },
      'no-e2e': { type: 'boolean' },
      rcpts: { type: 'string' },
      'e2e-timeout': { type: 'string' },
      idle: { type: 'string' },
      redirect: { type: 'boolean' },
      'generated-mail': { type: 'string' },
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
  if (!['new', 'reuse', 'both', 'e2e', 'idle'].includes(mode))
    throw new BenchUsageError(`--mode must be new, reuse, both, e2e or idle (got "${mode}")`);
  const idleValue = values.idle ?? String(DEFAULT_IDLE_SESSIONS);
  if (!/^\d+$/.test(idleValue))
    throw new BenchUsageError(`--idle must be a whole number (got "${values.idle}")`);
  const idle = Number(idleValue);
  if (mode === 'idle' && idle === 0) throw new BenchUsageError('--mode idle needs --idle above 0');
  if (values.e2e && values['no-e2e']) throw new BenchUsageError('give --e2e or --no-e2e, not both');
  if (mode === 'e2e' && values['no-e2e']) throw new BenchUsageError('--no-e2e contradicts --mode e2e');
  const e2e: Options['e2e'] =
    mode === 'e2e' || values.e2e ? 'on' : values['no-e2e'] || mode !== 'both' ? 'off' : 'auto';
  if (mode === 'idle' && e2e === 'on') throw new BenchUsageError('--e2e contradicts --mode idle');
  const rcpts = (values.rcpts ?? RECIPIENT)
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '')
    .map((r) => (r.includes('@') ? r.toLowerCase() : `${r.toLowerCase()}@${DEMO_DOMAIN}`));
  for (const r of rcpts) {
    if (!/^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$/.test(r))
      throw new BenchUsageError(`--rcpts: "${r}" is not an address`);
  }
  if (rcpts.length === 0) throw new BenchUsageError('--rcpts names no recipient');
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
  if (values.backends !== undefined && target)
    throw new BenchUsageError('--backends only applies to the cluster the bench starts');
  if (e2e === 'on' && target && values['data-dir'] === undefined)
    throw new BenchUsageError(
      'the e2e phase against --target needs --data-dir (it reads the mailbox index there)',
    );
  const generatedMail = values['generated-mail'];
  if (generatedMail !== undefined && generatedMail !== 'queue' && generatedMail !== 'smtp')
    throw new BenchUsageError(`--generated-mail must be queue or smtp (got "${generatedMail}")`);
  if (generatedMail !== undefined && target)
    throw new BenchUsageError('--generated-mail only applies to the cluster the bench starts');
  if (values.redirect && e2e === 'off') throw new BenchUsageError('--redirect needs the e2e phase');
  if (values.redirect && rcpts.includes(REDIRECT_TARGET))
    throw new BenchUsageError(`--redirect: ${REDIRECT_TARGET} cannot be a recipient too`);
  const seconds = positive('seconds', values.seconds);
  return {
    sessions: positive('sessions', values.sessions, 10)!,
    ...(seconds !== undefined ? { seconds } : { messages: positive('messages', values.messages, 2000)! }),
    size: positive('size', values.size, 1024)!,
    modes: mode === 'both' ? ['new', 'reuse'] : mode === 'e2e' || mode === 'idle' ? [] : [mode as Mode],
    e2e,
    rcpts: [...new Set(rcpts)],
    e2eTimeoutSeconds: positive('e2e-timeout', values['e2e-timeout'], DEFAULT_E2E_TIMEOUT_SECONDS)!,
    idle,
    redirect: values.redirect === true,
    ...(generatedMail !== undefined ? { generatedMail } : {}),
    ...(values.workers !== undefined ? { workers: positive('workers', values.workers)! } : {}),
    ...(values.backends !== undefined ? { backends: positive('backends', values.backends)! } : {}),
    ...(target ? { target } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: resolve(values['data-dir']) } : {}),
    json: values.json === true,
  };
}
