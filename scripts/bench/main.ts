/**
 * `npm run bench`: drives a Strato cluster over real SMTP; reports accepted messages/s, DATA→250
 * latency p50/p99, errors by reply code and peak memory, then (e2e phase) delivered messages/s
 * and accept→stored latency read from the mailbox index. By default it starts its own cluster in
 * a temp data dir and, once that has stopped, checks every accepted message is still queued (or
 * delivered); `--target` drives a running one. Each phase also reports the CPU time all cluster
 * processes used per accepted message, and an idle-sessions phase (idle-phase.ts) the RSS of one
 * frontend holding N idle sessions. Exit 1 when the cluster fails to start or messages
 * are missing, 2 on bad options; Ctrl-C stops the cluster, removes the temp dir and exits 130.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedStorage, openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import {
  type ClusterPids,
  readClusterPids,
  type StartedCluster,
  startCluster,
  stopCluster,
  waitClusterPids,
  waitReady,
} from './cluster.ts';
import { CpuMeter } from './cpu.ts';
import { type E2eReport, runE2e, type Settle, waitSettled } from './e2e.ts';
import type { IdleReport } from './idle.ts';
import { idlePhase } from './idle-phase.ts';
import { type Acceptance, runLoad } from './load.ts';
import { type Options, parseOptions, RECIPIENT, REDIRECT_TARGET, SENDER, USAGE } from './options.ts';
import { checkQueue } from './queue-check.ts';
import { seedRedirects } from './redirect.ts';
import { formatText, type ModeReport, modeReport, type QueueCheck } from './report.ts';
import { RssSampler } from './rss.ts';

/** Children of `ppid` from /proc (fallback when run/cluster.json is not there). */
function childPids(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // the process went away
    }
  }
  return out;
}

/** Live backends in the data dir's registry, waiting up to `waitMs` for the first to appear. */
async function liveBackends(storage: EmbeddedStorage, waitMs: number): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const live = (await storage.backends.listLive()).length;
    if (live > 0 || Date.now() >= deadline) return live;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<number> {
  let opts: Options | 'help';
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `bench: ${err instanceof Error ? err.message : String(err)}\n(see npm run bench -- --help)\n`,
    );
    return 2;
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const o = opts;
  const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
  let cluster: StartedCluster | undefined;
  let tempDir: string | undefined;
  let view: EmbeddedStorage | undefined;
  let interrupted = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await view?.close();
      if (cluster) {
        progress(`cluster stopped (${await stopCluster(cluster.child)})`);
      }
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130); // second Ctrl-C: leave at once
    interrupted = true;
    progress(`${signal}: stopping the cluster and cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let host: string;
    let port: number;
    let pids: ClusterPids | undefined;
    const notes: string[] = [];
    // --mode idle: the idle phase starts its own cluster, the main one is not needed.
    const idleOnly = o.modes.length === 0 && o.e2e === 'off';
    if (o.target) {
      ({ host, port } = o.target);
      progress(`checking ${host}:${port}`);
      await waitReady(host, port, RECIPIENT, { timeoutMs: 10_000 });
      pids = o.dataDir ? await readClusterPids(o.dataDir) : undefined;
      if (!pids)
        notes.push(
          `no memory figures: ${o.dataDir ? `no readable ${o.dataDir}/run/cluster.json` : 'give --data-dir'}`,
        );
      notes.push(
        'queue check skipped: it runs only on a cluster the bench started itself (other traffic may share the queue)',
      );
    } else if (idleOnly) {
      host = '127.0.0.1';
      port = 0;
    } else {
      tempDir = mkdtempSync(join(tmpdir(), 'strato-bench-'));
      progress(`starting the local cluster in ${tempDir}`);
      cluster = await startCluster({
        dataDir: tempDir,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
        ...(o.backends !== undefined ? { backends: o.backends } : {}),
        env: {
          // Forward to frontends: the backends submit to the MX port, so they must be trusted to relay.
          ...(o.generatedMail === 'smtp'
            ? { STRATO_GENERATED_MAIL: 'smtp', STRATO_TRUSTED_NETWORKS: '127.0.0.1/32' }
            : {}),
          // Every bench message makes one: lift the per-account hourly limit on rule-made mail.
          ...(o.redirect ? { STRATO_RULES_GENERATED_PER_HOUR: '100000000' } : {}),
        },
      });
      const c = cluster;
      ({ host, port } = c);
      await waitReady(host, port, RECIPIENT, {
        timeoutMs: 60_000,
        exited: () =>
          c.child.exitCode !== null || c.child.signalCode !== null
            ? `the cluster exited (${c.child.exitCode ?? c.child.signalCode}) before it was ready:\n${c.output()}`
            : undefined,
      });
      pids = await waitClusterPids(tempDir, (o.workers ?? 2) + (o.backends ?? 2), 10_000);
      if (!pids && c.child.pid !== undefined) {
        pids = { primaryPid: c.child.pid, workerPids: childPids(c.child.pid) };
        notes.push('run/cluster.json not found: cluster processes found through /proc instead');
      }
      progress(
        `cluster ready on ${host}:${port} (primary ${pids?.primaryPid}, workers ${pids?.workerPids.join(', ')})`,
      );
    }

    // A handle on the cluster's data dir (when known): queue depth between phases, mailbox index for e2e.
    const viewDir = tempDir ?? o.dataDir;
    view = viewDir ? await openEmbeddedStorage({ dataDir: viewDir }) : undefined;
    if (!view && !idleOnly)
      notes.push('phases were not separated by a queue drain (no data dir to read the queue depth from)');
    const settled: Record<string, Settle> = {};
    const settle = async (phase: string) => {
      if (!view) return;
      const s = await waitSettled({
        queue: view.queue,
        stallMs: o.e2eTimeoutSeconds * 1000,
        stopped: () => interrupted,
        progress,
      });
      settled[phase] = s;
      if (!s.settled)
        notes.push(`${phase}: began with ${s.backlog} job(s) of earlier traffic still ready or in flight`);
    };

    const modes: ModeReport[] = [];
    const accepts: Acceptance[] = [];
    let accepted = 0;
    const sampler = () =>
      pids ? new RssSampler(pids.primaryPid, pids.workerPids, 100, pids.roles ?? {}) : undefined;
    const cpuMeter = () =>
      pids
        ? new CpuMeter([
            { pid: pids.primaryPid, role: 'primary' },
            ...pids.workerPids.map((pid) => ({ pid, role: pids?.roles?.[pid] ?? 'worker' })),
          ])
        : undefined;
    for (const mode of o.modes) {
      if (interrupted) break;
      const amount = o.seconds !== undefined ? `${o.seconds} s` : `${o.messages} messages`;
      await settle(mode);
      progress(`mode ${mode}: ${o.sessions} sessions, ${amount} of ${o.size} bytes`);
      const memory = sampler();
      const cpu = cpuMeter();
      const result = await runLoad({
        host,
        port,
        mode,
        sessions: o.sessions,
        ...(o.seconds !== undefined ? { seconds: o.seconds } : { messages: o.messages! }),
        size: o.size,
        sender: SENDER,
        recipient: RECIPIENT,
        stopped: () => interrupted,
      });
      modes.push(modeReport(result, memory?.stop(), cpu?.stop()));
      accepts.push(...result.accepts);
      accepted += result.accepted;
    }
    if (interrupted) return 130;

    // The end-to-end phase reads the mailbox index of the cluster's data dir while it runs.
    let e2e: E2eReport | null = null;
    if (o.e2e !== 'off' && !view) {
      notes.push('e2e phase skipped: give --data-dir with --target (the mailbox index is read from it)');
    } else if (o.e2e !== 'off' && view) {
      const storage = view;
      const live = await liveBackends(storage, o.e2e === 'auto' ? 10_000 : 0);
      if (o.e2e === 'auto' && live === 0) {
        notes.push(
          'e2e phase skipped: the cluster registered no live backend within 10 s, so it does not deliver; --e2e runs it anyway',
        );
      } else {
        if (live === 0) notes.push('e2e: no live backend was registered when the phase began');
        const amount = o.seconds !== undefined ? `${o.seconds} s` : `${o.messages} messages`;
        progress(`e2e: ${o.sessions} sessions, ${amount} of ${o.size} bytes to ${o.rcpts.join(', ')}`);
        if (o.redirect) {
          await seedRedirects(storage, o.rcpts);
          progress(
            `e2e: ${o.rcpts.join(', ')} redirect to ${REDIRECT_TARGET} (generated mail: ${o.generatedMail ?? 'as configured'})`,
          );
          notes.push(
            `e2e --redirect: every message is stored once, at ${REDIRECT_TARGET}, after a redirect rule of its recipient; generated mail went ${o.generatedMail === 'smtp' ? 'over SMTP to the frontends (processed twice)' : o.generatedMail === 'queue' ? 'to the shared queue (processed once)' : 'where the cluster is configured to send it'}.`,
          );
        }
        const memory = sampler();
        const cpu = cpuMeter();
        const { load, report } = await runE2e({
          load: {
            host,
            port,
            sessions: o.sessions,
            ...(o.seconds !== undefined ? { seconds: o.seconds } : { messages: o.messages! }),
            size: o.size,
            sender: SENDER,
            recipient: o.rcpts[0]!,
            stopped: () => interrupted,
          },
          recipients: o.rcpts,
          queue: storage.queue,
          mailboxes: storage.mailboxes,
          ...(o.redirect ? { deliveredTo: () => REDIRECT_TARGET } : {}),
          stallMs: o.e2eTimeoutSeconds * 1000,
          stopped: () => interrupted,
          progress,
        });
        modes.push({ ...modeReport(load, memory?.stop(), cpu?.stop()), mode: 'e2e' });
        // Redirected messages are stored at the rule's target (the queue check looks there).
        accepts.push(
          ...(o.redirect ? load.accepts.map((a) => ({ ...a, recipient: REDIRECT_TARGET })) : load.accepts),
        );
        accepted += load.accepted;
        e2e = report;
        progress(`e2e: ${report.status} (${report.delivered}/${report.accepted} stored)`);
      }
    }
    if (interrupted) return 130;
    await view?.close();
    view = undefined;

    let queueCheck: QueueCheck | null = null;
    if (cluster && (cluster.child.exitCode !== null || cluster.child.signalCode !== null)) {
      notes.push(`the cluster exited during the run; its last output: ${cluster.output() || '(none)'}`);
    }
    if (cluster && tempDir) {
      const how = await stopCluster(cluster.child);
      progress(`cluster stopped (${how}); checking the queue`);
      cluster = undefined;
      queueCheck = await checkQueue(tempDir, accepts);
      if (accepts.length < accepted) {
        notes.push(
          `${accepted - accepts.length} accepted replies carried no "queued as <id>"; they are not checked`,
        );
      }
    }

    let idle: IdleReport | null = null;
    if (o.idle > 0 && !interrupted) {
      idle = await idlePhase({
        sessions: o.idle,
        ...(o.target ? { target: { host, port, pids } } : {}),
        progress,
        stopped: () => interrupted,
      });
    }
    if (interrupted) return 130;

    notes.push(
      'mode "new" (one message per connection) waits for each greeting: the MX listener waits STRATO_MX_GREETING_DELAY_MS (default 20 ms) before it; compare modes on "reuse".',
      "CPU/msg = user + system CPU time of the primary and all workers (/proc/<pid>/stat) during the phase, divided by the accepted messages; it includes the backends' delivery work that overlapped the phase.",
      'latency = time from writing the final "." of DATA to reading the 250 reply (the message is durable in the queue by then).',
      'mode "reuse" sends MAIL/RCPT/DATA back to back on each connection (RSET only after a refused transaction); no pipelining, no TLS.',
      "peak RSS = highest sum of VmRSS over primary + workers, sampled every 100 ms during the mode; sum HWM = sum of the processes' VmHWM (each their own peak since start).",
    );
    if (idle) {
      notes.push(
        'idle: RSS = VmRSS of the frontend holding the sessions, read once all were open; KiB/session = its RSS growth since before the first session / the sessions it greeted.',
      );
    }
    if (e2e) {
      notes.push(
        'e2e: delivered msg/s = stored messages / (last internalDate in the mailbox index - first 250 read by the bench); latency = internalDate - time the 250 was read (one machine, one clock). Row "e2e" above is the intake side of that phase; its memory figures cover sending and delivery.',
      );
    }
    const target = o.target
      ? `${host}:${port}`
      : idleOnly
        ? 'a one-frontend local cluster started for the idle phase'
        : `a local cluster started for the run (${host}:${port})`;
    const report = {
      target,
      startedCluster: !o.target,
      options: {
        sessions: o.sessions,
        messages: o.messages ?? null,
        seconds: o.seconds ?? null,
        size: o.size,
        modes: o.modes,
        e2e: o.e2e,
        rcpts: o.rcpts,
        e2eTimeoutSeconds: o.e2eTimeoutSeconds,
        idle: o.idle,
        redirect: o.redirect,
        generatedMail: o.generatedMail ?? null,
        workers: pids ? pids.workerPids.filter((p) => pids?.roles?.[p] !== 'backend').length : null,
        backends: pids?.roles ? Object.values(pids.roles).filter((r) => r === 'backend').length : null,
      },
      node: process.version,
      cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
      modes,
      settle: settled,
      e2e: e2e ? { ...e2e, missingIds: e2e.missingIds.slice(0, 100) } : null,
      queueCheck: queueCheck ? { ...queueCheck, missingIds: queueCheck.missingIds.slice(0, 100) } : null,
      idle,
      notes,
    };
    if (!o.json)
      process.stdout.write(`${formatText({ target, modes, e2e, queueCheck, idle, notes })}\n\nJSON:\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return queueCheck && !queueCheck.ok ? 1 : 0;
  } catch (err) {
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (!interrupted) await cleanup();
  }
}

process.exitCode = await main();
