/**
 * MailboxStore contract on S3 (fauxqs) + DynamoDB (DynamoDB Local), plus what the contract cannot
 * see: bodies left in S3 after duplicates and failures, the fence at commit time, and the number
 * of AWS requests an append costs.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { StaleEpochError } from '../../core/ports/errors.ts';
import { generatedBody, readAll, sha256 } from '../contract/helpers.ts';
import { mailboxStoreContract } from '../contract/mailbox-store.contract.ts';
import { TestClock } from '../contract/test-clock.ts';
import { emulatorClients, suiteTables } from './dynamo-test-support.ts';
import { S3MailboxStore } from './s3-mailbox-store.ts';

const db = suiteTables();
const s3 = db.s3;
const bucket = `mbx-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

/** A store on emptied tables with its own body prefix, so each test sees an empty mailbox. */
async function freshStore(dynamo = db.client, usageCacheMs = 0) {
  await db.fresh();
  const clock = new TestClock();
  const prefix = `t-${randomBytes(4).toString('hex')}/`;
  const store = new S3MailboxStore({
    dynamo: { client: dynamo, tableName: db.names.mailboxes },
    s3,
    bucket,
    prefix,
    clock,
    usageCacheMs,
  });
  return { store, clock, prefix };
}

async function accountItem() {
  const key = { pk: 'alice@example.com', sk: 'account' };
  return (await db.client.send(new GetCommand({ TableName: db.names.mailboxes, Key: key }))).Item;
}

async function objectKeys(prefix: string): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length)).sort();
}

/** Counts the commands a client sends (the build step runs once per command, not per retry). */
function countCommands(client: { middlewareStack: { add(mw: never, opts: object): void } }, name: string) {
  const counter = { n: 0 };
  const middleware = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => {
    counter.n++;
    return next(args);
  };
  client.middlewareStack.add(middleware as never, { step: 'build', name });
  return counter;
}

mailboxStoreContract('S3 + DynamoDB', async () => {
  const { store, clock } = await freshStore();
  return { mailboxes: store, clock, cleanup: async () => {} };
});

mailboxStoreContract('S3 + DynamoDB, usage cached', async () => {
  const { store, clock } = await freshStore(db.client, 60_000);
  return { mailboxes: store, clock, cleanup: async () => {} };
});

describe('S3MailboxStore (AWS specifics)', () => {
  const req = (deliveryKey: string, epoch = 1) => ({
    account: 'alice@example.com',
    folder: 'Lists/dev',
    deliveryKey,
    epoch,
  });
  const body = (text: string) => Readable.from([Buffer.from(text)]);

  it('keeps one body per message: duplicates and failed sources leave nothing in S3', async () => {
    const { store, prefix } = await freshStore();
    await store.append(req('k1'), body('first'));
    expect(await store.append(req('k1'), body('again'))).toEqual({ uid: 1, duplicate: true });
    const failing = (async function* () {
      yield Buffer.from('part');
      throw new Error('source failed on purpose');
    })();
    await expect(store.append(req('k2'), failing)).rejects.toThrow('source failed on purpose');
    const keys = await objectKeys(prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^alice@example\.com\/Lists%2Fdev\/[A-Za-z0-9_-]{16}\.eml$/);
  });

  it('fences at commit: a writer that lost its lease during the upload cannot commit', async () => {
    const { store, prefix } = await freshStore();
    const slow = new PassThrough();
    await store.append(req('before', 5), body('while the lease was ours'));
    const stale = store.append(req('old', 5), slow);
    // The new owner commits while the old one is still uploading.
    await store.append(req('new', 6), body('from the new owner'));
    expect((await accountItem())?.maxEpoch).toBe(6);
    slow.end('from the old owner');
    const err = await stale.catch((x: unknown) => x);
    expect(err).toBeInstanceOf(StaleEpochError);
    expect(err).toMatchObject({ epoch: 5, current: 6 });
    expect((await store.list('alice@example.com', 'Lists/dev')).map((m) => m.deliveryKey)).toEqual([
      'before',
      'new',
    ]);
    expect(await objectKeys(prefix)).toHaveLength(2);
  });

  it('streams multipart (parts of partSize) and aborts it when the source fails midway', async () => {
    const { store: base, prefix } = await freshStore();
    const store = new S3MailboxStore({
      dynamo: { client: db.client, tableName: db.names.mailboxes },
      s3,
      bucket,
      prefix,
      partSize: 5 * 1024 * 1024,
    });
    const big = generatedBody(12 * 1024 * 1024, { seed: 3 });
    const r = await store.append(req('multi'), big.source);
    expect(sha256(await readAll((await base.read('alice@example.com', 'Lists/dev', r.uid))!))).toBe(
      big.sha256,
    );
    const bad = generatedBody(12 * 1024 * 1024, { failAfter: 7 * 1024 * 1024 });
    await expect(store.append(req('bad'), bad.source)).rejects.toThrow('source failed on purpose');
    expect(await objectKeys(prefix)).toHaveLength(1);
    expect(r.uid).toBe(1);
  });

  it('stores an empty body', async () => {
    const { store } = await freshStore();
    const r = await store.append(req('empty'), Readable.from([]));
    expect((await store.list('alice@example.com', 'Lists/dev'))[0]?.size).toBe(0);
    expect((await readAll((await store.read('alice@example.com', 'Lists/dev', r.uid))!)).length).toBe(0);
  });

  it('costs two AWS requests per new message (one GetItem more for the first) and one GetItem for usage', async () => {
    // Own clients, so the counters see only this test's requests.
    const own = emulatorClients();
    const dynamo = countCommands(own.dynamodbRaw, 'countDynamo');
    const { store } = await freshStore(own.dynamodb);
    const s3Calls = countCommands(s3, 'countS3');
    try {
      await store.append(req('c1'), body('x'.repeat(10_000)));
      // The folder's last UID read once, then one TransactWriteItems per message.
      expect({ dynamo: dynamo.n, s3: s3Calls.n }).toEqual({ dynamo: 2, s3: 1 });
      await store.append(req('c2'), body('y'.repeat(10_000)));
      expect({ dynamo: dynamo.n, s3: s3Calls.n }).toEqual({ dynamo: 3, s3: 2 });
      await store.usage('alice@example.com');
      expect(dynamo.n).toBe(4);
    } finally {
      s3.middlewareStack.remove('countS3');
      own.destroy();
    }
  });

  it('with usageCacheMs reads usage once per period, adds its own appends, and sees others after it', async () => {
    const own = emulatorClients();
    const dynamo = countCommands(own.dynamodbRaw, 'countDynamo');
    const { store, clock, prefix } = await freshStore(own.dynamodb, 30_000);
    // Another process (a backend that took the lease) writes through its own instance.
    const other = new S3MailboxStore({
      dynamo: { client: db.client, tableName: db.names.mailboxes },
      s3,
      bucket,
      prefix,
      clock,
    });
    try {
      expect(await store.usage('alice@example.com')).toBe(0);
      expect(dynamo.n).toBe(1);
      await store.append(req('u1'), body('x'.repeat(100)));
      expect(dynamo.n).toBe(3); // the folder's last UID (first append) and the commit, no usage read
      expect(await store.usage('alice@example.com')).toBe(100);
      await other.append(req('u2', 2), body('y'.repeat(50)));
      expect(await store.usage('alice@example.com')).toBe(100); // cached: at most 30 s behind
      expect(dynamo.n).toBe(3);
      clock.advance(30_000);
      expect(await store.usage('alice@example.com')).toBe(150);
      expect(dynamo.n).toBe(4);
      // Its UID guess is now stale: the refused commit answers the counter, the next UID follows.
      const r = await store.append(req('u3', 2), body('z'));
      expect(r).toEqual({ uid: 3, duplicate: false });
      expect((await store.list('alice@example.com', 'Lists/dev')).map((m) => m.uid)).toEqual([1, 2, 3]);
    } finally {
      own.destroy();
    }
  });
});
