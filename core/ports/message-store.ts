/**
 * MessageStore port: message bodies by reference (a file in embedded mode, an S3 object on AWS).
 * `put` resolves only once the body is durable; if the source stream fails or the store fails,
 * `put` rejects and leaves no visible object behind. Bodies are immutable once stored.
 */
import type { Readable } from 'node:stream';

export interface BodyRef {
  /** Store-specific key (file name, S3 key). Opaque to callers. */
  readonly key: string;
  /** Size in bytes of the stored body. */
  readonly size: number;
}

export interface MessageStore {
  /** Stream `body` into the store under `key`. Resolves when durable; rejects on any failure. */
  put(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<BodyRef>;
  /** Open a stored body for reading. Rejects with MessageNotFoundError when absent. */
  open(ref: BodyRef | string): Promise<Readable>;
  /** Delete a body; deleting an absent body is not an error (idempotent). */
  delete(ref: BodyRef | string): Promise<void>;
  /** True when a body exists under the key. */
  exists(key: string): Promise<boolean>;
  /**
   * True when the store expires bodies by itself (the AWS spool bucket's lifecycle rule): a body
   * is then not deleted when its job is done, which saves one request per delivered message.
   * Deletes for other reasons (a refused intake, an operator removing a job) still happen.
   */
  readonly expiresBodies?: boolean;
}
