/** MessageStore contract on S3 (fauxqs), plus key rules, the prefix, and aborted multipart uploads. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import { generatedBody } from '../contract/helpers.ts';
import { messageStoreContract } from '../contract/message-store.contract.ts';
import { awsClients } from './aws-clients.ts';
import { InvalidKeyError, S3MessageStore } from './s3-message-store.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

const e = inject('emulators');
const clients = awsClients({ region: e.region, endpoints: { s3: e.s3 }, credentials: TEST_CREDENTIALS });
afterAll(() => clients.destroy());

/** Every S3 operation the store sends, in order (middleware on the shared client). */
const sent: string[] = [];
clients.s3.middlewareStack.add(
  (next, context) => async (args) => {
    sent.push(String(context.commandName).replace(/Command$/, ''));
    return next(args);
  },
  { step: 'initialize', name: 'recordS3Operations' },
);

async function freshStore(
  opts: { prefix?: string } = {},
): Promise<{ store: S3MessageStore; bucket: string }> {
  const bucket = `msg-${randomBytes(6).toString('hex')}`;
  await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    store: new S3MessageStore({ s3: clients.s3, bucket, partSize: 5 * 1024 * 1024, ...opts }),
    bucket,
  };
}

messageStoreContract('S3 (fauxqs)', async () => {
  const { store } = await freshStore({ prefix: 'spool/' });
  return { store, cleanup: async () => {} };
});

describe('S3MessageStore (AWS specifics)', () => {
  it('refuses keys the embedded store refuses', async () => {
    const { store } = await freshStore();
    for (const key of ['../x', 'a/b', '..', '.', '', 'a\u0000b', 'x'.repeat(201), 'sp ace']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.open(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
  });

  it('stores objects under the prefix', async () => {
    const { store, bucket } = await freshStore({ prefix: 'spool/' });
    await store.put('01JABC', Readable.from([Buffer.from('body')]));
    const obj = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'spool/01JABC' }));
    expect(await obj.Body?.transformToString()).toBe('body');
  });

  it('sends a body of less than one part as one PutObject', async () => {
    const { store } = await freshStore();
    sent.length = 0;
    await store.put('SMALL', generatedBody(200_000).source);
    expect(sent).toEqual(['PutObject']);
  });

  it('aborts the multipart upload when the source fails after the first part', async () => {
    const { store } = await freshStore();
    sent.length = 0;
    const bad = generatedBody(20 * 1024 * 1024, { failAfter: 12 * 1024 * 1024 });
    await expect(store.put('MPFAIL', bad.source)).rejects.toThrow('source failed on purpose');
    expect(await store.exists('MPFAIL')).toBe(false);
    // The SDK aborts in the background once its part uploads settle.
    await expect.poll(() => sent.includes('AbortMultipartUpload'), { timeout: 5_000 }).toBe(true);
    expect(sent).not.toContain('CompleteMultipartUpload');
  });

  it('treats a missing bucket as a storage fault, not as a missing body', async () => {
    const store = new S3MessageStore({ s3: clients.s3, bucket: `missing-${randomBytes(4).toString('hex')}` });
    await expect(store.put('NOBUCKET', Readable.from([Buffer.from('x')]))).rejects.toThrow();
    const err = await store.open('NOBUCKET').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(MessageNotFoundError);
  });
});
