/**
 * <dataDir>/run/storage.json: how to reach the storage of a local cluster that runs on the AWS
 * emulators (`npm run start:aws-local`). The cluster writes it at start and removes it at stop; the
 * CLI reads it when its own environment names no storage, so `npx strato …` run beside such a
 * cluster administers that cluster, as the banner promises. Only emulator setups are written (an
 * emulator endpoint is set): real AWS credentials never land in a file. A cluster on embedded
 * storage removes a stale file left by a killed one. Write failures reject; a missing or
 * unreadable file reads as undefined.
 */
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ENV } from '../core/config/env-names.ts';
import { STORAGE_ENV_NAMES } from '../core/config/storage-config.ts';

export const localStorageEnvPath = (dataDir: string) => join(dataDir, 'run', 'storage.json');

/** The emulator endpoints' variables: one of them set means "local emulators". */
const ENDPOINTS = [
  ENV.endpointSqs,
  ENV.endpointS3,
  ENV.endpointDynamodb,
  ENV.endpointSes,
  ENV.endpointLambda,
];
/** The SDK's own variables a CLI needs beside Strato's (emulators accept any credentials). */
const SDK_NAMES = ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

/** The variables to write for `env`, or undefined when it is not an emulator AWS setup. */
export function emulatorStorageEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> | undefined {
  if (env[ENV.storage] !== 'aws' || !ENDPOINTS.some((n) => env[n])) return undefined;
  const out: Record<string, string> = {};
  for (const name of [...STORAGE_ENV_NAMES, ...SDK_NAMES]) {
    const value = env[name];
    if (value !== undefined && value !== '' && name !== ENV.dataDir) out[name] = value;
  }
  return out;
}

export async function writeLocalStorageEnv(dataDir: string, env: Record<string, string>): Promise<void> {
  const path = localStorageEnvPath(dataDir);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(env, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export async function removeLocalStorageEnv(dataDir: string): Promise<void> {
  await rm(localStorageEnvPath(dataDir), { force: true });
}

export async function readLocalStorageEnv(dataDir: string): Promise<Record<string, string> | undefined> {
  try {
    const value = JSON.parse(await readFile(localStorageEnvPath(dataDir), 'utf8')) as unknown;
    if (!value || typeof value !== 'object') return undefined;
    return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
  } catch {
    return undefined;
  }
}
