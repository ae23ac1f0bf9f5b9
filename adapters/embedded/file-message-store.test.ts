/** MessageStore contract on the file store, plus key validation, layout and fsync sharing. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatedBody } from '../contract/helpers.ts';
import { messageStoreContract } from '../contract/message-store.contract.ts';
import { DirSyncer } from './durable-file.ts';
import { type FileMessageStore, InvalidKeyError, shardOf } from './file-message-store.ts';
import { type TempStorage, tempStorage } from './test-support.ts';

messageStoreContract('embedded files', async () => {
  const t = await tempStorage();
  return { store: t.storage.messages, cleanup: t.cleanup };
});

describe('FileMessageStore (embedded specifics)', () => {
  let t: TempStorage;
  let store: FileMessageStore;
  beforeEach(async () => {
    t = await tempStorage();
    store = t.storage.messages;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('refuses keys that could leave the store', async () => {
    for (const key of ['../x', 'a/b', '..', '.', '', 'a\u0000b', 'x'.repeat(201), 'sp ace']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.open(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
  });

  it('stores bodies at messages/<shard>/<key> and leaves no temp file', async () => {
    await store.put('01JABCDEF0123456789Z', Readable.from([Buffer.from('body')]));
    const bad = generatedBody(500_000, { failAfter: 200_000 });
    await expect(store.put('FAILING', bad.source)).rejects.toThrow();
    expect(await readdir(join(t.dir, 'messages', shardOf('01JABCDEF0123456789Z')))).toEqual([
      '01JABCDEF0123456789Z',
    ]);
    expect(await readdir(join(t.dir, 'messages', 'tmp'))).toEqual([]);
  });

  it('shares directory fsyncs between concurrent callers', async () => {
    const syncer = new DirSyncer();
    await Promise.all(Array.from({ length: 50 }, () => syncer.sync(t.dir)));
    expect(syncer.syncs).toBeLessThanOrEqual(2);
    await syncer.sync(t.dir);
    expect(syncer.syncs).toBeLessThanOrEqual(3);
  });
});
