import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './test-support.ts';
import { WalSyncer } from './wal-syncer.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('WalSyncer', () => {
  it('runs one sync for the first caller and one shared sync for all who came while it ran', async () => {
    dir = await tempDir();
    const file = join(dir, 'db-wal');
    writeFileSync(file, 'frames');
    const syncer = new WalSyncer(file);
    await Promise.all(Array.from({ length: 20 }, () => syncer.sync()));
    expect(syncer.syncs).toBe(2);
    await syncer.sync();
    expect(syncer.syncs).toBe(3);
    await syncer.release();
  });

  it('rejects with ENOENT while the file is missing, and syncs once it exists', async () => {
    dir = await tempDir();
    const file = join(dir, 'db-wal');
    const syncer = new WalSyncer(file);
    await expect(syncer.sync()).rejects.toMatchObject({ code: 'ENOENT' });
    writeFileSync(file, 'frames');
    await expect(syncer.sync()).resolves.toBeUndefined();
    await syncer.release();
  });

  it('keeps its descriptor between syncs, and opens the file again after release', async () => {
    dir = await tempDir();
    const file = join(dir, 'db-wal');
    writeFileSync(file, 'frames');
    const syncer = new WalSyncer(file);
    await syncer.sync();
    await rm(file);
    // The descriptor from the first sync is used again: the path is not opened per sync.
    await expect(syncer.sync()).resolves.toBeUndefined();
    await syncer.release();
    // Released: the next sync opens the path afresh, so a missing file now shows.
    await expect(syncer.sync()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
