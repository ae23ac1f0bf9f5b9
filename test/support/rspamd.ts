/**
 * A real rspamd (Debian's package) for tests: its own process on free loopback ports, with a
 * temporary config that includes the stock config from /etc/rspamd and overrides only the worker
 * sockets (normal + controller; no proxy, no fuzzy), the pid file, the database dir and logging
 * (console). The local config adds one test symbol, STRATO_TEST_SPAM (score 20: between the test
 * thresholds' `add header` at 15 and `reject` at 50, ACTIONS), for a Subject containing "strato-test-spam", so a
 * high-score-but-not-rejected message is deterministic. `rspamdBinary()` is undefined when
 * rspamd is not installed: suites skip with that message (CI installs it, .ci/run).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePorts } from './cluster.ts';

export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';
export const TEST_SPAM_SUBJECT = 'strato-test-spam';

/** The rspamd binary, or undefined when the package is not installed. */
export function rspamdBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v rspamd'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const RSPAMD_MISSING =
  'rspamd is not installed (apt-get install rspamd): content-filter tests skipped';

function mainConfig(scanPort: number, controllerPort: number): string {
  return `.include "$CONFDIR/common.conf"
options {
    pidfile = "$RUNDIR/rspamd.pid";
    .include "$CONFDIR/options.inc"
    dbdir = "$DBDIR";
}
logging { type = "console"; level = "error"; }
worker "normal" {
    bind_socket = "127.0.0.1:${scanPort}";
    .include "$CONFDIR/worker-normal.inc"
    count = 1;
}
worker "controller" {
    bind_socket = "127.0.0.1:${controllerPort}";
    .include "$CONFDIR/worker-controller.inc"
}
`;
}

const MULTIMAP = `STRATO_TEST_SPAM {
  type = "header";
  header = "Subject";
  regexp = true;
  map = "$LOCAL_CONFDIR/test-spam.map";
  score = 20.0;
}
`;

/**
 * Test thresholds, so that no lookup rspamd cannot make here (no rDNS, no DNS for the test
 * domains: up to ~8 points) decides an action: add header at 15, reject at 50 (GTUBE rejects
 * regardless), greylist at 40 (never reached: a greylist would be answered 451).
 */
const ACTIONS = `reject = 50;
add_header = 15;
greylist = 40;
`;

export class TestRspamd {
  private child: ChildProcess | undefined;
  private dir = '';
  scanPort = 0;
  exited: Promise<void> = Promise.resolve();

  /** The main rspamd process (its workers are its children); 0 before start. */
  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** http://127.0.0.1:<port> of the normal worker (what STRATO_CONTENT_FILTER names). */
  get url(): string {
    return `http://127.0.0.1:${this.scanPort}`;
  }

  async start(binary: string): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'strato-rspamd-'));
    const local = join(this.dir, 'local');
    await mkdir(join(local, 'local.d'), { recursive: true });
    await mkdir(join(this.dir, 'db'));
    const [scan, controller] = await freePorts(2);
    this.scanPort = scan!;
    await writeFile(join(this.dir, 'rspamd.conf'), mainConfig(scan!, controller!));
    await writeFile(join(local, 'local.d', 'multimap.conf'), MULTIMAP);
    await writeFile(join(local, 'test-spam.map'), `/${TEST_SPAM_SUBJECT}/i\n`);
    await writeFile(join(local, 'local.d', 'actions.conf'), ACTIONS);
    await this.spawn(binary);
  }

  private async spawn(binary: string): Promise<void> {
    // -i: run as whoever runs the tests (root in CI containers) without dropping privileges.
    const vars = { CONFDIR: '/etc/rspamd', LOCAL_CONFDIR: join(this.dir, 'local'), RUNDIR: this.dir };
    const args = ['-f', '-i', '-c', join(this.dir, 'rspamd.conf'), `--var=DBDIR=${join(this.dir, 'db')}`];
    for (const [k, v] of Object.entries(vars)) args.push(`--var=${k}=${v}`);
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`rspamd exited ${child.exitCode}: ${stderr}`);
        const res = await fetch(`${this.url}/ping`).catch(() => undefined);
        return res?.ok && (await res.text()).trim() === 'pong' ? true : undefined;
      },
      60_000,
      'rspamd answering /ping',
    );
  }

  /** SIGTERM and wait for the exit (the ports are closed then). */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await this.exited;
    }
    this.child = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
