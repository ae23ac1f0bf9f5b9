/**
 * <dataDir>/run/cluster.json: the local cluster's primary pid and its workers' pids, rewritten
 * on every fork, ready and exit (the bench reads it to measure RSS). Written to a temp file and
 * renamed so a reader never sees half a file. A failed write is logged by the caller, never fatal.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface WorkerState {
  readonly slot: number;
  readonly role: 'frontend' | 'backend' | 'admin';
  readonly pid: number;
  readonly startedAt: string;
  readonly ready: boolean;
}

export interface ClusterState {
  readonly primaryPid: number;
  readonly startedAt: string;
  readonly dataDir: string;
  readonly ports: Readonly<Record<string, number>>;
  readonly workers: readonly WorkerState[];
  readonly restarts: number;
  readonly updatedAt: string;
}

export const clusterStatePath = (dataDir: string) => join(dataDir, 'run', 'cluster.json');

export async function writeClusterState(path: string, state: ClusterState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, path);
}

export async function removeClusterState(path: string): Promise<void> {
  await rm(path, { force: true });
}
