/**
 * MessageStore contract on the file store (files only, and with small bodies inline in SQLite),
 * plus key validation, layout, the inline threshold and fsync sharing.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import { generatedBody, makeJob, readAll } from '../contract/helpers.ts';
import { messageStoreContract } from '../contract/message-store.contract.ts';
import { DirSyncer } from './durable-file.ts';
import { type FileMessageStore, InvalidKeyError, shardOf } from './file-message-store.ts';
import { type TempStorage, tempStorage } from './test-support.ts';

messageStoreContract('embedded files', async () => {
  const t = await tempStorage({ inlineBodyMaxBytes: 0 });
  return { store: t.storage.messages, cleanup: t.cleanup };
});

messageStoreContract('embedded, small bodies inline', async () => {
  const t = await tempStorage({ inlineBodyMaxBytes: 1024 });
  return { store: t.storage.messages, cleanup: t.cleanup };
});

describe('FileMessageStore (embedded specifics)', () => {
  let t: TempStorage;
  let store: FileMessageStore;
  beforeEach(async () => {
    t = await tempStorage({ inlineBodyMaxBytes: 0 });
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
    // Callers in one turn: the fsync is not issued yet, so all of them join it.
    await Promise.all(Array.from({ length: 50 }, () => syncer.sync(t.dir)));
    expect(syncer.syncs).toBe(1);
    // A caller arriving once the fsync is issued waits for the next one, shared by later callers.
    const first = syncer.sync(t.dir);
    await new Promise<void>((resolve) => setTimeout(resolve, 0).unref());
    const later = Array.from({ length: 10 }, () => syncer.sync(t.dir));
    await Promise.all([first, ...later]);
    expect(syncer.syncs).toBeGreaterThanOrEqual(2);
    expect(syncer.syncs).toBeLessThanOrEqual(3);
  });
});

describe('FileMessageStore with inline bodies', () => {
  let t: TempStorage;
  beforeEach(async () => {
    t = await tempStorage({ inlineBodyMaxBytes: 100 });
  });
  afterEach(async () => {
    await t.cleanup();
  });
  const files = async () =>
    (await readdir(join(t.dir, 'messages'), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => e.name);

  it('keeps a body within the threshold in SQLite and a larger one as a file', async () => {
    const { messages, queue } = t.storage;
    const commitsBefore = queue.committer.stats.commits;
    const small = await messages.put(
      'SMALL',
      Readable.from([Buffer.from('a'.repeat(60)), Buffer.from('b'.repeat(40))]),
    );
    const big = await messages.put(
      'BIG',
      Readable.from([Buffer.from('c'.repeat(60)), Buffer.from('d'.repeat(41))]),
    );
    expect(small).toEqual({ key: 'SMALL', size: 100 });
    expect(big).toEqual({ key: 'BIG', size: 101 });
    expect(await files()).toEqual(['BIG']);
    expect(queue.committer.stats.commits).toBe(commitsBefore + 1);
    expect((await readAll(await messages.open(small))).toString()).toBe(`${'a'.repeat(60)}${'b'.repeat(40)}`);
    expect((await readAll(await messages.open('BIG'))).toString()).toBe(`${'c'.repeat(60)}${'d'.repeat(41)}`);
    const other = await t.reopen();
    expect((await readAll(await other.messages.open('SMALL'))).byteLength).toBe(100);
    await messages.delete(small);
    expect(await messages.exists('SMALL')).toBe(false);
    await expect(other.messages.open('SMALL')).rejects.toBeInstanceOf(MessageNotFoundError);
  });

  it('lets a file stored again under an inline key replace it', async () => {
    const { messages } = t.storage;
    await messages.put('K', Readable.from([Buffer.from('small')]));
    await messages.put('K', Readable.from([Buffer.from('x'.repeat(500))]));
    expect((await readAll(await messages.open('K'))).toString()).toBe('x'.repeat(500));
    await messages.delete('K');
    expect(await messages.exists('K')).toBe(false);
  });

  it('stores nothing when the source fails, before or after the threshold', async () => {
    const { messages } = t.storage;
    await expect(
      messages.put('EARLY', generatedBody(90, { chunk: 10, failAfter: 30 }).source),
    ).rejects.toThrow();
    await expect(
      messages.put('LATE', generatedBody(50_000, { chunk: 1000, failAfter: 20_000 }).source),
    ).rejects.toThrow();
    expect(await messages.exists('EARLY')).toBe(false);
    expect(await messages.exists('LATE')).toBe(false);
    expect(await files()).toEqual([]);
  });

  it('commits concurrent small puts and enqueues together, in one transaction', async () => {
    const { messages, queue } = t.storage;
    const before = queue.committer.stats.commits;
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const body = await messages.put(`M${i}`, Readable.from([Buffer.from(`body ${i}`)]));
        await queue.enqueue([makeJob({ id: `J${i}`, body })]);
      }),
    );
    // Every put of the loop turn shares one commit, then every enqueue shares the next.
    expect(queue.committer.stats.commits - before).toBe(2);
    expect((await queue.depth()).ready).toBe(20);
  });
});
