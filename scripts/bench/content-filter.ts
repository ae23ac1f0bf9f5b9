/**
 * The content filter's cost, measured (issue: content filtering through rspamd). Starts a real
 * rspamd (Debian's package, test/support/rspamd.ts) on the loopback, then runs `npm run bench`
 * (scripts/bench/main.ts, `--mode e2e --json`, each run its own fresh local cluster) in these
 * configurations, alternated REPS times so background drift hits all alike:
 *   plain      no filter
 *   filter     STRATO_CONTENT_FILTER=rspamd:<url>
 *   fwd        filter on, every message redirected by an account rule, generated mail forwarded
 *              over SMTP to the frontends (the "*" setup the cluster model warns about)
 *   queue      the same redirect workload with generated mail on the shared queue (remote
 *              queue processing)
 * For each it prints accepted msg/s, delivered (stored) msg/s, and CPU per message: the cluster's
 * processes during the e2e phase (accept to stored; the bench's own `cpu` figure) and rspamd's
 * processes over the same run, from /proc. Medians over the repetitions.
 * Usage: node --import tsx scripts/bench/content-filter.ts [MESSAGES=1000] [REPS=3] [SESSIONS=10]
 * Fails (exit 1) when rspamd is not installed or a bench run fails.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rspamdBinary, TestRspamd } from '../../test/support/rspamd.ts';
import { REPO_ROOT } from './cluster.ts';
import { readCpuMs } from './cpu.ts';

interface Config {
  readonly name: string;
  readonly filter: boolean;
  readonly args: readonly string[];
}

const CONFIGS: readonly Config[] = [
  { name: 'plain', filter: false, args: [] },
  { name: 'filter', filter: true, args: [] },
  { name: 'fwd', filter: true, args: ['--redirect', '--generated-mail', 'smtp'] },
  { name: 'queue', filter: true, args: ['--redirect', '--generated-mail', 'queue'] },
];

/** The CPU ms of a process and all its live descendants. */
function treeCpu(root: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  let total = 0;
  const walk = (pid: number): void => {
    const ms = readCpuMs(pid);
    if (ms === undefined) return;
    total += ms;
    for (const [child, parent] of parents) if (parent === pid) walk(child);
  };
  walk(root);
  return total;
}

interface Run {
  readonly accepted: number;
  readonly delivered: number;
  readonly cpuMsPerMsg: number;
  readonly rspamdMsPerMsg: number;
}

async function runBench(
  config: Config,
  messages: number,
  sessions: number,
  rspamd: TestRspamd,
): Promise<Run> {
  const env = { ...process.env };
  if (config.filter) env.STRATO_CONTENT_FILTER = `rspamd:${rspamd.url}`;
  else delete env.STRATO_CONTENT_FILTER;
  const args = ['--import', 'tsx', 'scripts/bench/main.ts', '--mode', 'e2e', '--idle', '0', '--json'];
  args.push('--messages', String(messages), '--sessions', String(sessions), ...config.args);
  const rspamdBefore = treeCpu(rspamd.pid);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench ${config.name} exited ${code}: ${out.slice(-2000)}`);
  const rspamdCpu = treeCpu(rspamd.pid) - rspamdBefore;
  const report = JSON.parse(out) as {
    modes: { mode: string; messagesPerSecond: number; cpu: { perMessageMs: number | null } }[];
    e2e?: { deliveredPerSecond: number | null; delivered: number; missing: number } | null;
  };
  if (!report.e2e || report.e2e.missing > 0) throw new Error(`bench ${config.name}: not all stored: ${out}`);
  const stored = report.e2e.delivered;
  const e2eMode = report.modes.find((m) => m.mode === 'e2e');
  return {
    accepted: e2eMode?.messagesPerSecond ?? 0,
    delivered: report.e2e.deliveredPerSecond ?? 0,
    cpuMsPerMsg: e2eMode?.cpu.perMessageMs ?? Number.NaN,
    rspamdMsPerMsg: rspamdCpu / stored,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const [messages = 1000, reps = 3, sessions = 10] = process.argv.slice(2).map(Number);
  const binary = rspamdBinary();
  if (!binary) throw new Error('rspamd is not installed (apt-get install rspamd)');
  const rspamd = new TestRspamd();
  await rspamd.start(binary);
  const runs = new Map<string, Run[]>(CONFIGS.map((c) => [c.name, []]));
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const config of CONFIGS) {
        const run = await runBench(config, messages, sessions, rspamd);
        runs.get(config.name)!.push(run);
        process.stderr.write(`rep ${rep} ${config.name}: ${JSON.stringify(run)}\n`);
      }
    }
  } finally {
    await rspamd.close();
  }
  console.log(`${messages} messages x ${reps} reps, ${sessions} sessions, 1 KB, medians`);
  console.log('config  accepted/s  stored/s  cpu ms/msg (cluster)  rspamd ms/msg  total ms/msg');
  for (const config of CONFIGS) {
    const r = runs.get(config.name)!;
    const cpu = median(r.map((x) => x.cpuMsPerMsg));
    const rs = median(r.map((x) => x.rspamdMsPerMsg));
    console.log(
      `${config.name.padEnd(7)} ${median(r.map((x) => x.accepted))
        .toFixed(0)
        .padStart(10)} ${median(r.map((x) => x.delivered))
        .toFixed(0)
        .padStart(
          9,
        )} ${cpu.toFixed(2).padStart(19)} ${rs.toFixed(2).padStart(14)} ${(cpu + rs).toFixed(2).padStart(13)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
