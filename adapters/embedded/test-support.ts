/**
 * Test support for the embedded adapters: a fresh temporary data dir with storage opened on a
 * TestClock, and its cleanup (close every handle, remove the directory).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestClock } from '../contract/test-clock.ts';
import { type EmbeddedStorage, type EmbeddedStorageOptions, openEmbeddedStorage } from './open.ts';

export interface TempStorage {
  readonly dir: string;
  readonly clock: TestClock;
  readonly storage: EmbeddedStorage;
  /** Another handle on the same data dir and clock (as a second process would have). */
  reopen(): Promise<EmbeddedStorage>;
  cleanup(): Promise<void>;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'strato-embedded-'));
}

export async function tempStorage(
  opts: Omit<EmbeddedStorageOptions, 'dataDir' | 'clock'> = {},
): Promise<TempStorage> {
  const dir = await tempDir();
  const clock = new TestClock();
  const open: EmbeddedStorage[] = [];
  const reopen = async (): Promise<EmbeddedStorage> => {
    const s = await openEmbeddedStorage({ ...opts, dataDir: dir, clock });
    open.push(s);
    return s;
  };
  const storage = await reopen();
  return {
    dir,
    clock,
    storage,
    reopen,
    async cleanup() {
      for (const s of open) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
