/**
 * `npm run start:aws-local` promises that the banner's `npx strato …` commands work as printed:
 * a local cluster on the AWS emulators leaves its storage settings in <dataDir>/run/storage.json
 * while it runs, the CLI (with no STRATO_STORAGE of its own) administers that cluster through
 * them, and the file is gone once the cluster stops, so the data dir is embedded again.
 */
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { localStorageEnvPath } from '../../runtime/local-storage-env.ts';
import { strato, tempDataDir } from '../e2e-cli/run-cli.ts';
import { PROCESS_TEST_TIMEOUT_MS, type RunningProcess, startProcess } from '../support/cluster.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

let mode: AwsMode;
const data = tempDataDir();
let cluster: RunningProcess | undefined;

beforeAll(async () => {
  mode = await createAwsMode();
  await seedDomain(mode.storage.directory, 'emulated.example', ['carol']);
});
afterAll(async () => {
  await cluster?.stop({ keepData: true });
  await mode?.storage.close();
  data.remove();
});

describe('the CLI beside a local cluster on the AWS emulators', () => {
  it(
    'administers that cluster while it runs, and the embedded store once it stopped',
    async () => {
      cluster = await startProcess({
        entry: 'cluster',
        dataDir: data.dir,
        env: { ...mode.env, STRATO_FRONTEND_WORKERS: '1', STRATO_BACKENDS: '1' },
      });
      const file = localStorageEnvPath(data.dir);
      expect(existsSync(file)).toBe(true);
      expect(statSync(file).mode & 0o077).toBe(0); // readable by its owner only

      const listed = await strato(data.dir, ['account', 'list', 'emulated.example'], { env: {} });
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      expect(listed.stdout).toContain('carol@emulated.example');

      await cluster.stop({ keepData: true });
      cluster = undefined;
      expect(existsSync(file)).toBe(false);
      const embedded = await strato(data.dir, ['account', 'list', 'emulated.example'], { env: {} });
      expect(embedded.stdout).not.toContain('carol@emulated.example');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
