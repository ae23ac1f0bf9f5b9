/**
 * `npm run bench`: drives a Strato cluster over real SMTP; reports accepted messages/s, DATA→250
 * latency p50/p99, errors by reply code and peak memory. By default it starts its own cluster in a
 * temp data dir and, once that has stopped, checks every accepted message is still queued (or
 * delivered); `--target` drives a running one. Exit 1 when the cluster fails to start or messages
 * are missing, 2 on bad options; Ctrl-C stops the cluster, removes the temp dir and exits 130.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClusterPids,
  readClusterPids,
  type StartedCluster,
  startCluster,
  stopCluster,
  waitClusterPids,
  waitReady,
} from './cluster.ts';
import { runLoad } from './load.ts';
import { type Options, parseOptions, RECIPIENT, SENDER, USAGE } from './options.ts';
import { checkQueue } from './queue-check.ts';
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
  let interrupted = false;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
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
    } else {
      tempDir = mkdtempSync(join(tmpdir(), 'strato-bench-'));
      progress(`starting the local cluster in ${tempDir}`);
      cluster = await startCluster({
        dataDir: tempDir,
        ...(o.workers !== undefined ? { workers: o.workers } : {}),
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
      pids = await waitClusterPids(tempDir, o.workers ?? 2, 10_000);
      if (!pids && c.child.pid !== undefined) {
        pids = { primaryPid: c.child.pid, workerPids: childPids(c.child.pid) };
        notes.push('run/cluster.json not found: cluster processes found through /proc instead');
      }
      progress(
        `cluster ready on ${host}:${port} (primary ${pids?.primaryPid}, workers ${pids?.workerPids.join(', ')})`,
      );
    }

    const modes: ModeReport[] = [];
    const acceptedIds: string[] = [];
    let accepted = 0;
    for (const mode of o.modes) {
      if (interrupted) break;
      const amount = o.seconds !== undefined ? `${o.seconds} s` : `${o.messages} messages`;
      progress(`mode ${mode}: ${o.sessions} sessions, ${amount} of ${o.size} bytes`);
      const sampler = pids ? new RssSampler(pids.primaryPid, pids.workerPids) : undefined;
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
      modes.push(modeReport(result, sampler?.stop()));
      acceptedIds.push(...result.acceptedIds);
      accepted += result.accepted;
    }
    if (interrupted) return 130;

    let queueCheck: QueueCheck | null = null;
    if (cluster && (cluster.child.exitCode !== null || cluster.child.signalCode !== null)) {
      notes.push(`the cluster exited during the run; its last output: ${cluster.output() || '(none)'}`);
    }
    if (cluster && tempDir) {
      const how = await stopCluster(cluster.child);
      progress(`cluster stopped (${how}); checking the queue`);
      cluster = undefined;
      queueCheck = await checkQueue(tempDir, acceptedIds, RECIPIENT);
      if (acceptedIds.length < accepted) {
        notes.push(
          `${accepted - acceptedIds.length} accepted replies carried no "queued as <id>"; they are not checked`,
        );
      }
    }

    notes.push(
      'smtp-server waits a hard-coded 100 ms before its 220 greeting, so mode "new" (one message per connection) is capped near 10 messages/s per session; compare modes on "reuse".',
      'latency = time from writing the final "." of DATA to reading the 250 reply (the message is durable in the queue by then).',
      'mode "reuse" sends MAIL/RCPT/DATA back to back on each connection (RSET only after a refused transaction); no pipelining, no TLS.',
      "peak RSS = highest sum of VmRSS over primary + workers, sampled every 100 ms during the mode; sum HWM = sum of the processes' VmHWM (each their own peak since start).",
    );
    const target = o.target ? `${host}:${port}` : `a local cluster started for the run (${host}:${port})`;
    const report = {
      target,
      startedCluster: !o.target,
      options: {
        sessions: o.sessions,
        messages: o.messages ?? null,
        seconds: o.seconds ?? null,
        size: o.size,
        modes: o.modes,
        workers: pids?.workerPids.length ?? null,
      },
      node: process.version,
      cpus: `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown'}`,
      modes,
      queueCheck: queueCheck ? { ...queueCheck, missingIds: queueCheck.missingIds.slice(0, 100) } : null,
      notes,
    };
    if (!o.json) process.stdout.write(`${formatText({ target, modes, queueCheck, notes })}\n\nJSON:\n`);
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
