/**
 * MessageStore contract: what every body store (files, S3) must do. Run it from an adapter's
 * test file with a factory that returns a fresh, empty store.
 */
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';
import { generatedBody, readAll, sha256 } from './helpers.ts';

export interface MessageStoreFixture {
  readonly store: MessageStore;
  cleanup(): Promise<void>;
}

export function messageStoreContract(name: string, make: () => Promise<MessageStoreFixture>): void {
  describe(`MessageStore contract: ${name}`, () => {
    let fx: MessageStoreFixture;
    let store: MessageStore;
    beforeEach(async () => {
      fx = await make();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('round-trips a body from a Readable byte for byte and reports its size', async () => {
      const body = Buffer.from('Subject: hi\r\n\r\nHello \u00e9\r\n.\r\n\u0000\u00ff', 'utf8');
      const ref = await store.put('M1', Readable.from([body.subarray(0, 5), body.subarray(5)]));
      expect(ref).toEqual({ key: 'M1', size: body.length });
      expect(await store.exists('M1')).toBe(true);
      expect((await readAll(await store.open(ref))).equals(body)).toBe(true);
      expect((await readAll(await store.open('M1'))).equals(body)).toBe(true);
    });

    it('stores an empty body', async () => {
      const ref = await store.put('EMPTY', Readable.from([]));
      expect(ref.size).toBe(0);
      expect((await readAll(await store.open(ref))).length).toBe(0);
    });

    it('accepts an async iterable and keeps bodies apart', async () => {
      const a = generatedBody(100_000, { seed: 1, chunk: 1000 });
      const b = generatedBody(50_000, { seed: 2, chunk: 777 });
      const [ra, rb] = await Promise.all([store.put('A-1', a.source), store.put('B-2', b.source)]);
      expect(ra.size).toBe(100_000);
      expect(rb.size).toBe(50_000);
      expect(sha256(await readAll(await store.open(ra)))).toBe(a.sha256);
      expect(sha256(await readAll(await store.open(rb)))).toBe(b.sha256);
    });

    it('streams a 30 MiB body in and out intact', { timeout: 60_000 }, async () => {
      const size = 30 * 1024 * 1024;
      const big = generatedBody(size, { seed: 7 });
      const ref = await store.put('BIG.eml', big.source);
      expect(ref.size).toBe(size);
      const hash = (await import('node:crypto')).createHash('sha256');
      let read = 0;
      for await (const chunk of await store.open(ref)) {
        hash.update(chunk as Buffer);
        read += (chunk as Buffer).length;
      }
      expect(read).toBe(size);
      expect(hash.digest('hex')).toBe(big.sha256);
    });

    it('leaves nothing behind when the source fails', async () => {
      const bad = generatedBody(1_000_000, { failAfter: 300_000 });
      await expect(store.put('FAIL', bad.source)).rejects.toThrow('source failed on purpose');
      expect(await store.exists('FAIL')).toBe(false);
      await expect(store.open('FAIL')).rejects.toBeInstanceOf(MessageNotFoundError);
    });

    it('rejects opening a missing body with MessageNotFoundError naming the key', async () => {
      const err = await store.open('NOPE').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MessageNotFoundError);
      expect((err as MessageNotFoundError).key).toBe('NOPE');
      expect(await store.exists('NOPE')).toBe(false);
    });

    it('deletes idempotently', async () => {
      const ref = await store.put('DEL', Readable.from([Buffer.from('x')]));
      await store.delete(ref);
      expect(await store.exists('DEL')).toBe(false);
      await expect(store.open(ref)).rejects.toBeInstanceOf(MessageNotFoundError);
      await store.delete(ref);
      await store.delete('NEVER-STORED');
    });
  });
}
