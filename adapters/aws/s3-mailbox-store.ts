/**
 * MailboxStore on S3 + DynamoDB: bodies are S3 objects (lib-storage), index, UID counters, epoch
 * fence and usage live in the mailboxes table. append = (1) body PutObject under a random key,
 * (2) one TransactWriteItems: fence + next UID + usage on the account item, delivery item, message
 * item — two requests per message. Body first, so a row never points at a missing body. The next
 * UID comes from this instance's last commit (one GetItem the first time); a counter that moved on
 * refuses the commit with its value and the commit is tried again with a higher UID.
 * Failure: StaleEpochError; a repeated delivery key answers the first UID; a refused commit
 * deletes its body, an unanswered one keeps it (orphan, never loss).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Upload } from '@aws-sdk/lib-storage';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { StaleEpochError } from '../../core/ports/errors.ts';
import type {
  AppendRequest,
  AppendResult,
  MailboxMessage,
  MailboxStore,
} from '../../core/ports/mailbox-store.ts';
import {
  cancellationReasons,
  conditionFailedAt,
  type DynamoTarget,
  queryAll,
  rawNumber,
  retryConflicts,
} from './dynamo-support.ts';
import {
  ACCOUNT_SK,
  bodyKey,
  checkAccount,
  checkDeliveryKey,
  checkEpoch,
  checkFolder,
  deliverySk,
  folderPrefix,
  MAX_UID,
  messageSk,
  uidAttribute,
} from './s3-mailbox-keys.ts';
import { UsageCache } from './usage-cache.ts';

export interface S3MailboxStoreOptions {
  /** The mailboxes table. */
  readonly dynamo: DynamoTarget;
  /** An S3 client (forcePathStyle for emulators). */
  readonly s3: S3Client;
  readonly bucket: string;
  /** Prefix of every body key; default "mailboxes/". */
  readonly prefix?: string;
  /** Multipart part size; ≤ 10 MiB (fauxqs takes at most 11 MiB per request), ≥ 5 MiB (S3). */
  readonly partSize?: number;
  readonly clock?: Clock;
  /** How long a usage read is reused by this instance (usage-cache.ts); 0 (default) reads every time. */
  readonly usageCacheMs?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Commits tried with a higher UID when the folder's counter moved on meanwhile. */
const MAX_COMMIT_ATTEMPTS = 20;

export class S3MailboxStore implements MailboxStore {
  private readonly dynamo: DynamoTarget;
  private readonly s3: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly clock: Clock;
  private readonly usageCache: UsageCache;
  /** "<account>\n<folder>" → the highest UID this instance handed out there. */
  private readonly lastUids = new Map<string, number>();
  /** "<account>\n<folder>" → the end of the commits queued there (see serial). */
  private readonly commits = new Map<string, Promise<void>>();

  constructor(opts: S3MailboxStoreOptions) {
    this.dynamo = opts.dynamo;
    this.s3 = opts.s3;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? 'mailboxes/';
    this.partSize = opts.partSize ?? DEFAULT_PART_SIZE;
    this.clock = opts.clock ?? systemClock;
    this.usageCache = new UsageCache(this.clock, opts.usageCacheMs ?? 0);
  }

  async append(req: AppendRequest, body: Readable | AsyncIterable<Uint8Array>): Promise<AppendResult> {
    let account: string;
    let folder: string;
    let key: string;
    try {
      account = checkAccount(req.account);
      folder = checkFolder(req.folder);
      checkDeliveryKey(req.deliveryKey);
      checkEpoch(req.epoch);
      // The UID is chosen at commit, so the body's key cannot name it: a random one per attempt.
      key = bodyKey(this.prefix, account, folder, randomBytes(12).toString('base64url'));
    } catch (err) {
      discard(body); // refused before reading: release the source
      throw err;
    }
    const size = await this.putBody(key, body);
    return this.commit(req, account, folder, key, size);
  }

  async list(account: string, folder: string): Promise<MailboxMessage[]> {
    const items = await queryAll(this.dynamo.client, {
      TableName: this.dynamo.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': checkAccount(account),
        ':prefix': folderPrefix(checkFolder(folder)),
      },
      ConsistentRead: true,
    });
    return items.map(toMessage);
  }

  async read(account: string, folder: string, uid: number): Promise<Readable | undefined> {
    const acc = checkAccount(account);
    const fol = checkFolder(folder);
    if (!Number.isSafeInteger(uid) || uid < 1 || uid > MAX_UID) return undefined;
    const r = await this.dynamo.client.send(
      new GetCommand({
        TableName: this.dynamo.tableName,
        Key: { pk: acc, sk: messageSk(fol, uid) },
        ConsistentRead: true,
      }),
    );
    if (!r.Item) return undefined;
    const obj = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: String(r.Item.bodyKey) }),
    );
    return obj.Body as Readable;
  }

  async folders(account: string): Promise<string[]> {
    const item = await this.accountItem(checkAccount(account), 'folders');
    const set = item?.folders;
    // Byte order of UTF-8, as the embedded store's ORDER BY folder.
    return set instanceof Set
      ? [...(set as Set<string>)].sort((a, b) => Buffer.compare(utf8(a), utf8(b)))
      : [];
  }

  /**
   * The running total kept on the account item: one GetItem, however many messages, reused for
   * usageCacheMs with this instance's own appends added.
   */
  usage(account: string): Promise<number> {
    const acc = checkAccount(account);
    return this.usageCache.get(acc, async () => Number((await this.accountItem(acc, 'bytes'))?.bytes ?? 0));
  }

  /**
   * The next UID to try in a folder, above `atLeast`: one more than the highest this instance
   * handed out there (one read of the account item the first time). Concurrent appends of this
   * instance get distinct UIDs; a stale guess only costs a refused commit, which answers the
   * real counter.
   */
  private async nextUid(account: string, folder: string, atLeast = 0): Promise<number> {
    const k = `${account}\n${folder}`;
    let last = this.lastUids.get(k);
    if (last === undefined) {
      const item = await this.accountItem(account, uidAttribute(folder));
      last = Math.max(this.lastUids.get(k) ?? 0, Number(item?.[uidAttribute(folder)] ?? 0));
    }
    const uid = Math.max(last, this.lastUids.get(k) ?? 0, atLeast) + 1;
    if (this.lastUids.size >= 50_000) this.lastUids.clear();
    this.lastUids.set(k, uid);
    return uid;
  }

  /** Step 1: stream the body to S3 (one PutObject up to partSize, multipart above); returns its size. */
  private async putBody(key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<number> {
    let size = 0;
    const counted = ReadableStream.from(
      (async function* () {
        for await (const chunk of body) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          size += buf.byteLength;
          yield buf;
        }
      })(),
      { objectMode: false },
    );
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: counted, ContentType: 'message/rfc822' },
      partSize: this.partSize,
      // One part in flight: memory per append stays near one part, whatever the message size.
      queueSize: 1,
      leavePartsOnError: false,
    });
    try {
      // A failing source fails the part reader, and Upload then aborts the multipart upload itself.
      await upload.done();
      return size;
    } catch (err) {
      counted.destroy();
      discard(body);
      await this.deleteBody(key);
      throw err;
    }
  }

  /**
   * Step 2: one transaction takes the next UID (the counter must still be below it, so UIDs rise
   * in commit order), raises the fence to our epoch, adds the usage, and writes the delivery item
   * (the idempotency key) and the message item. A counter that moved on (another writer, a stale
   * guess) refuses it with the counter's value: the commit is tried again with the next UID.
   */
  private async commit(
    req: AppendRequest,
    account: string,
    folder: string,
    key: string,
    size: number,
  ): Promise<AppendResult> {
    // One commit at a time per folder in this instance (uploads still run side by side), so the
    // UIDs it hands out commit in order and are not refused for a later one committing first.
    return this.serial(`${account}\n${folder}`, () => this.commitNow(req, account, folder, key, size));
  }

  private serial<T>(k: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.commits.get(k) ?? Promise.resolve()).then(fn);
    const tail = run.then(
      () => {},
      () => {},
    );
    this.commits.set(k, tail);
    void tail.then(() => {
      if (this.commits.get(k) === tail) this.commits.delete(k);
    });
    return run;
  }

  private async commitNow(
    req: AppendRequest,
    account: string,
    folder: string,
    key: string,
    size: number,
  ): Promise<AppendResult> {
    const delivery = { pk: account, sk: deliverySk(req.deliveryKey) };
    let uid = await this.nextUid(account, folder);
    for (let attempt = 1; ; attempt++) {
      if (uid > MAX_UID) throw new RangeError(`UID ${uid} out of range`);
      const items = this.commitItems(req, account, folder, uid, key, size, delivery);
      try {
        await retryConflicts(() =>
          this.dynamo.client.send(new TransactWriteCommand({ TransactItems: items })),
        );
        this.usageCache.add(account, size);
        return { uid, duplicate: false };
      } catch (err) {
        const reasons = cancellationReasons(err);
        // No answer (timeout, 5xx): the commit may have happened, so the body must stay.
        if (!reasons) throw err;
        const current = rawNumber(reasons[0]?.item, uidAttribute(folder)) ?? 0;
        const fence = rawNumber(reasons[0]?.item, 'maxEpoch');
        if (conditionFailedAt(reasons, 0) && fence !== undefined && fence > req.epoch) {
          await this.deleteBody(key);
          throw new StaleEpochError(account, req.epoch, fence);
        }
        if (conditionFailedAt(reasons, 1)) {
          await this.deleteBody(key);
          const first = rawNumber(reasons[1]?.item, 'uid') ?? (await this.uidOf(delivery));
          return { uid: first, duplicate: true };
        }
        if (!conditionFailedAt(reasons, 0) || attempt >= MAX_COMMIT_ATTEMPTS) {
          await this.deleteBody(key);
          throw err;
        }
        uid = await this.nextUid(account, folder, current);
      }
    }
  }

  private commitItems(
    req: AppendRequest,
    account: string,
    folder: string,
    uid: number,
    key: string,
    size: number,
    delivery: { pk: string; sk: string },
  ) {
    const table = this.dynamo.tableName;
    return [
      {
        Update: {
          TableName: table,
          Key: { pk: account, sk: ACCOUNT_SK },
          UpdateExpression: 'SET #epoch = :epoch, #uid = :uid ADD #bytes :size, #folders :folder',
          ConditionExpression:
            '(attribute_not_exists(#epoch) OR #epoch <= :epoch) AND (attribute_not_exists(#uid) OR #uid < :uid)',
          ExpressionAttributeNames: {
            '#bytes': 'bytes',
            '#folders': 'folders',
            '#epoch': 'maxEpoch',
            '#uid': uidAttribute(folder),
          },
          ExpressionAttributeValues: {
            ':size': size,
            ':folder': new Set([folder]),
            ':epoch': req.epoch,
            ':uid': uid,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      },
      {
        Put: {
          TableName: table,
          Item: { ...delivery, uid, folder, deliveryKey: req.deliveryKey },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        },
      },
      {
        Put: {
          TableName: table,
          Item: {
            pk: account,
            sk: messageSk(folder, uid),
            uid,
            folder,
            size,
            flags: [...(req.flags ?? [])],
            internalDate: this.clock.now(),
            deliveryKey: req.deliveryKey,
            bodyKey: key,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  }

  /** The uid a delivery item holds (when a refused write did not send the old item back). */
  private async uidOf(key: { pk: string; sk: string }): Promise<number> {
    const r = await this.dynamo.client.send(
      new GetCommand({ TableName: this.dynamo.tableName, Key: key, ConsistentRead: true }),
    );
    return Number(r.Item?.uid);
  }

  private async accountItem(
    account: string,
    attribute: string,
  ): Promise<Record<string, unknown> | undefined> {
    const r = await this.dynamo.client.send(
      new GetCommand({
        TableName: this.dynamo.tableName,
        Key: { pk: account, sk: ACCOUNT_SK },
        ConsistentRead: true,
        ProjectionExpression: '#a',
        ExpressionAttributeNames: { '#a': attribute },
      }),
    );
    return r.Item;
  }

  /** Best effort: a body nothing points at is only wasted space, never worth failing for. */
  private async deleteBody(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => {});
  }
}

function toMessage(item: Record<string, unknown>): MailboxMessage {
  return {
    uid: Number(item.uid),
    folder: String(item.folder),
    size: Number(item.size),
    flags: (item.flags ?? []) as string[],
    internalDate: Number(item.internalDate),
    deliveryKey: String(item.deliveryKey),
  };
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A body we will not read (further): release the source (a file stream holds a descriptor). */
function discard(body: Readable | AsyncIterable<Uint8Array>): void {
  const r = body as Partial<Readable>;
  if (typeof r.destroy === 'function' && r.destroyed === false) r.destroy();
}
