/**
 * MessageStore on S3: one object per body under a configurable key prefix. `put` streams: a body
 * that fits in one part is sent with one PutObject, a larger one with a multipart Upload (parts of
 * `partSize`, a few in flight), so at most a few parts are ever held in memory. Resolves once S3
 * has the whole object. Failure: a source or S3 error aborts the upload (no object becomes
 * visible; abandoned parts are also removed by the bucket's AbortIncompleteMultipartUpload rule).
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MessageNotFoundError } from '../../core/ports/errors.ts';
import type { BodyRef, MessageStore } from '../../core/ports/message-store.ts';

const KEY = /^[A-Za-z0-9._-]{1,200}$/;
const MIB = 1024 * 1024;

export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  constructor(readonly key: string) {
    super(`invalid message key ${JSON.stringify(key)}: only A-Z a-z 0-9 . _ - (1..200 chars)`);
  }
}

/** Keys follow the embedded store's rule, so a key valid on one deployment is valid on both. */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key) || key === '.' || key === '..')
    throw new InvalidKeyError(key);
  return key;
}

export interface S3MessageStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Prepended to every key, e.g. "spool/". */
  readonly prefix?: string;
  /** Multipart part size: 5..10 MiB (S3's minimum; fauxqs takes at most 11 MiB per request). */
  readonly partSize?: number;
  /** Parts uploaded at once for one body. */
  readonly queueSize?: number;
  /**
   * The bucket has a lifecycle rule that expires these bodies (the deployment's spool bucket):
   * delivered jobs then leave their body to it instead of sending a DeleteObject each.
   */
  readonly expiresBodies?: boolean;
}

export class S3MessageStore implements MessageStore {
  readonly expiresBodies: boolean;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3MessageStoreOptions) {
    this.s3 = opts.s3;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
    this.partSize = opts.partSize ?? 8 * MIB;
    this.queueSize = opts.queueSize ?? 2;
    this.expiresBodies = opts.expiresBodies ?? false;
    if (this.partSize < 5 * MIB || this.partSize > 10 * MIB) {
      throw new RangeError(`partSize ${this.partSize} must be within 5..10 MiB`);
    }
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<BodyRef> {
    validateKey(key);
    const source = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
    try {
      // Read up to one part first: most messages fit, and then one PutObject is all it takes.
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes < this.partSize) {
        const next = await source.next();
        if (next.done) {
          ended = true;
          break;
        }
        const chunk = toBuffer(next.value);
        head.push(chunk);
        headBytes += chunk.length;
      }
      if (ended) {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.objectKey(key),
            Body: Buffer.concat(head, headBytes),
            ContentLength: headBytes,
          }),
        );
        return { key, size: headBytes };
      }
      const size = await this.multipart(key, head, headBytes, source);
      return { key, size };
    } catch (err) {
      destroySource(body, err);
      source.return?.().catch(() => {});
      throw err;
    }
  }

  /** Upload `head` and the rest of `source`; rejects with the source's own error if it fails. */
  private async multipart(
    key: string,
    head: Buffer[],
    headBytes: number,
    source: AsyncIterator<Uint8Array | string>,
  ): Promise<number> {
    let size = headBytes;
    let failSource: (err: unknown) => void = () => {};
    const sourceFailed = new Promise<never>((_, reject) => {
      failSource = reject;
    });
    async function* rest(): AsyncGenerator<Buffer> {
      yield* head;
      head.length = 0;
      try {
        for (;;) {
          const next = await source.next();
          if (next.done) return;
          const chunk = toBuffer(next.value);
          size += chunk.length;
          yield chunk;
        }
      } catch (err) {
        failSource(err);
        throw err;
      }
    }
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: Readable.from(rest()) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    const done = upload.done();
    // Upload can wait forever on a source that failed: stop it ourselves and answer with the cause.
    done.catch(() => {});
    try {
      await Promise.race([done, sourceFailed]);
    } catch (err) {
      await upload.abort().catch(() => {});
      throw err;
    }
    return size;
  }

  async open(ref: BodyRef | string): Promise<Readable> {
    const key = validateKey(typeof ref === 'string' ? ref : ref.key);
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      const stream = out.Body;
      if (stream instanceof Readable) return stream;
      if (stream === undefined) return Readable.from([]);
      return Readable.from(stream as AsyncIterable<Uint8Array>);
    } catch (err) {
      if (isNotFound(err)) throw new MessageNotFoundError(key);
      throw err;
    }
  }

  async delete(ref: BodyRef | string): Promise<void> {
    const key = validateKey(typeof ref === 'string' ? ref : ref.key);
    // S3 answers 204 for a key that is not there: deleting twice is fine.
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private objectKey(key: string): string {
    return this.prefix + key;
  }
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk);
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The object is absent (a missing bucket is a configuration fault, not a missing body). */
function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** Release a Readable source we stopped reading (the SMTP side waits on it otherwise). */
function destroySource(body: Readable | AsyncIterable<Uint8Array>, err: unknown): void {
  const r = body as Partial<Readable>;
  if (typeof r.destroy === 'function' && r.destroyed === false) r.destroy(err as Error);
}
