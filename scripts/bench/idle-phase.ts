/**
 * Runs the idle-sessions phase (idle.ts) for main.ts. On the bench's own run it starts a separate
 * cluster with one frontend (and one backend) whose per-task cap STRATO_MAX_CLIENTS is exactly N,
 * opens the N sessions plus EXTRA_PAST_CAP more (each should be answered 421), and stops it again;
 * against --target it opens the N sessions there (the frontends' pids come from --data-dir).
 * Failure: a cluster that does not start rejects (main.ts reports it and exits 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../../core/config/env-names.ts';
import { type ClusterPids, startCluster, stopCluster, waitClusterPids, waitReady } from './cluster.ts';
import { type IdleReport, runIdle } from './idle.ts';
import { RECIPIENT } from './options.ts';

/** Sessions opened past the cap of the bench's own idle cluster. */
export const EXTRA_PAST_CAP = 3;

const frontendsOf = (pids: ClusterPids) =>
  pids.workerPids.filter((p) => (pids.roles?.[p] ?? 'frontend') === 'frontend');

export async function idlePhase(opts: {
  sessions: number;
  target?: { host: string; port: number; pids: ClusterPids | undefined };
  progress: (text: string) => void;
  stopped: () => boolean;
}): Promise<IdleReport> {
  const { sessions, progress, stopped } = opts;
  if (opts.target) {
    const { host, port, pids } = opts.target;
    progress(`idle: opening ${sessions} sessions against ${host}:${port}`);
    return runIdle({
      host,
      port,
      sessions,
      extra: 0,
      frontendPids: pids ? frontendsOf(pids) : [],
      progress,
      stopped,
    });
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'strato-bench-idle-'));
  progress(`idle: starting a one-frontend cluster (cap ${sessions}) in ${dataDir}`);
  const cluster = await startCluster({
    dataDir,
    workers: 1,
    backends: 1,
    env: { [ENV.maxClients]: String(sessions) },
  });
  try {
    await waitReady(cluster.host, cluster.port, RECIPIENT, { timeoutMs: 60_000 });
    const pids = await waitClusterPids(dataDir, 2, 10_000);
    // Let the readiness probe's session end before the cap is counted.
    await new Promise((r) => setTimeout(r, 500));
    progress(`idle: opening ${sessions} sessions, then ${EXTRA_PAST_CAP} past the cap`);
    return await runIdle({
      host: cluster.host,
      port: cluster.port,
      sessions,
      extra: EXTRA_PAST_CAP,
      frontendPids: pids ? frontendsOf(pids) : [],
      progress,
      stopped,
    });
  } finally {
    progress(`idle: cluster stopped (${await stopCluster(cluster.child)})`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
