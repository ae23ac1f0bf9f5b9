/**
 * The serverless pipeline end to end on the AWS emulators: a job in SQS (body in S3) is consumed
 * by the queue Lambda's handler, delivered through Lambda Invoke to the backend Lambda's handler
 * (DynamoDB leases and mailbox index, bodies in S3), and external mail goes out through SES.
 * Also measures AWS requests per delivered message.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LambdaChannel } from '../../adapters/aws/lambda-channel.ts';
import { SesOutboundRelay } from '../../adapters/aws/ses-outbound-relay.ts';
import { TEST_CREDENTIALS } from '../../adapters/aws/testing/emulators.ts';
import { type InvokeServer, startInvokeServer } from '../../adapters/aws/testing/lambda-invoke-server.ts';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { LeaseCache } from '../../core/delivery/lease-cache.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { fixedBackends } from '../../core/queue/fixed-backends.ts';
import { DEFAULT_RETRY_SCHEDULE } from '../../core/queue/retry-schedule.ts';
import { HistoryRecorder } from '../../core/util/history-recorder.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { createBackendHandler } from '../../lambdas/backend/handler-core.ts';
import { createQueueHandler } from '../../lambdas/queue/handler-core.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

const e = inject('emulators');
let aws: AwsMode;
let invoke: InvokeServer;
let queueHandler: ReturnType<typeof createQueueHandler>;

function job(to: string[]): QueueJob {
  const id = newQueueId();
  return {
    id,
    source: 'SMTP',
    createdAt: Date.now(),
    body: { key: id, size: 0 },
    envelope: {
      mailFrom: 'sender@remote.example',
      recipients: to.map((address) => ({
        address,
        original: address,
        state: 'pending' as const,
        attempts: 0,
      })),
    },
    attempts: 0,
  };
}

async function enqueue(to: string[]): Promise<QueueJob> {
  const j = job(to);
  const raw = `From: sender@remote.example\r\nTo: ${to.join(', ')}\r\nSubject: lambda ${j.id}\r\n\r\nHello ${j.id}\r\n`;
  const body = await aws.storage.messages.put(j.id, Readable.from([Buffer.from(raw)]));
  const queued = { ...j, body };
  await aws.storage.queue.enqueue([queued]);
  return queued;
}

/** What the SQS event source would hand the queue Lambda. */
async function receiveEvent(max = 10): Promise<SQSEvent> {
  const got = await aws.storage.clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: aws.config.queueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout: 30,
      WaitTimeSeconds: 1,
      AttributeNames: ['All'],
    }),
  );
  return {
    Records: (got.Messages ?? []).map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
        SenderId: 'x',
        ApproximateFirstReceiveTimestamp: '0',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    })),
  };
}

beforeAll(async () => {
  aws = await createAwsMode();
  const s = aws.storage;
  await seedDomain(s.directory, 'example.com', []);
  for (const name of ['alice', 'bob']) {
    await s.directory.addAccount({
      address: `${name}@example.com`,
      domain: 'example.com',
      name,
      settings: {},
      createdAt: 0,
    });
  }
  invoke = await startInvokeServer();
  invoke.register(
    'strato-backend',
    createBackendHandler({
      backendId: 'lambda',
      directory: s.directory,
      leases: s.leases,
      mailboxes: s.mailboxes,
      messages: s.messages,
      clock: systemClock,
      logger: silentLogger,
      leaseTtlMs: 60_000,
      leaseCache: new LeaseCache(),
      history: new HistoryRecorder(
        s.history,
        { role: 'backend-lambda', id: 'lambda' },
        systemClock,
        silentLogger,
      ),
    }) as (event: unknown) => Promise<unknown>,
  );
  const lambda = new LambdaClient({
    region: e.region,
    endpoint: invoke.endpoint,
    credentials: TEST_CREDENTIALS,
  });
  aws.counter.attach(lambda);
  queueHandler = createQueueHandler({
    queue: s.queue,
    messages: s.messages,
    directory: s.directory,
    leases: s.leases,
    registry: fixedBackends([{ id: 'lambda', address: 'strato-backend', kind: 'lambda' }]),
    channel: new LambdaChannel(lambda),
    relay: new SesOutboundRelay({ ses: s.clients.ses, hostname: 'mx.example.com' }),
    clock: systemClock,
    logger: silentLogger,
    schedule: DEFAULT_RETRY_SCHEDULE,
    hostname: 'mx.example.com',
    backendMode: 'dynamic',
    visibilitySeconds: 30,
    history: new HistoryRecorder(s.history, { role: 'queue-lambda', id: 'q1' }, systemClock, silentLogger),
  });
});

afterAll(async () => {
  await invoke?.close();
  await aws?.storage.close();
});

const context = {} as Context;

describe('serverless pipeline on the AWS emulators', () => {
  it('delivers local recipients through the backend Lambda and relays external ones through SES', async () => {
    const j = await enqueue(['alice@example.com', 'outside@elsewhere.example']);
    const result = await queueHandler(await receiveEvent(), context);
    expect(result.batchItemFailures).toEqual([]);
    const inbox = await aws.storage.mailboxes.list('alice@example.com', 'INBOX');
    expect(inbox).toHaveLength(1);
    expect(
      await text((await aws.storage.mailboxes.read('alice@example.com', 'INBOX', inbox[0]!.uid))!),
    ).toContain(`Hello ${j.id}`);
    const store = (await (await fetch(`${e.ses}/store`)).json()) as { emails: { subject?: string }[] };
    expect(store.emails.some((m) => m.subject === `lambda ${j.id}`)).toBe(true);
    // Done: the job left the queue; its spool body stays for the bucket's lifecycle rule to expire
    // (no DeleteObject per delivered message).
    expect(
      (
        await aws.storage.clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: aws.config.queueUrl, WaitTimeSeconds: 0 }),
        )
      ).Messages,
    ).toBeUndefined();
    expect(aws.storage.messages.expiresBodies).toBe(true);
    expect(await aws.storage.messages.exists(j.body.key)).toBe(true);
    // Both Lambdas flushed their history before returning.
    const story = (await aws.storage.history.story(j.id)).map((e) => `${e.by.role}:${e.kind}`);
    expect(story.sort()).toEqual(['backend-lambda:stored', 'queue-lambda:done', 'queue-lambda:relayed']);
  });

  it('fails an unknown local recipient with exactly one DSN job', async () => {
    const j = await enqueue(['bob@example.com', 'nobody@example.com']);
    expect((await queueHandler(await receiveEvent(), context)).batchItemFailures).toEqual([]);
    expect(await aws.storage.mailboxes.list('bob@example.com', 'INBOX')).toHaveLength(1);
    const next = await receiveEvent();
    const dsns = next.Records.map((r) => r.body).filter((b) => b.includes('"source":"DSN"'));
    expect(dsns).toHaveLength(1);
    expect(dsns[0]).toContain('sender@remote.example');
    expect(dsns[0]).toContain(j.id.slice(0, 10));
    const story = await aws.storage.history.story(j.id);
    const dsnSent = story.find((e) => e.kind === 'dsn-sent');
    expect(story.map((e) => e.kind).sort()).toEqual(['done', 'dsn-sent', 'failed', 'stored']);
    expect(
      (await aws.storage.history.story(dsnSent!.kind === 'dsn-sent' ? dsnSent!.dsnQueueId : '')).map(
        (e) => e.kind,
      ),
    ).toEqual(['accepted']);
    await queueHandler(next, context); // the DSN goes out through SES
  });

  it('batches SQS calls and counts every AWS request (figures: npm run bench:aws)', async () => {
    const n = 20;
    aws.counter.reset();
    const jobs = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const j = job([i % 2 ? 'alice@example.com' : 'bob@example.com']);
        return { ...j, body: await aws.storage.messages.put(j.id, Readable.from([Buffer.alloc(1024, 'x')])) };
      }),
    );
    await aws.storage.queue.enqueue(jobs);
    let handled = 0;
    for (let i = 0; i < 10 && handled < n; i++) {
      const event = await receiveEvent(10);
      expect((await queueHandler(event, context)).batchItemFailures).toEqual([]);
      handled += event.Records.length;
    }
    expect(handled).toBe(n);
    const ops = aws.counter.snapshot().byOperation;
    expect(ops['SQS.SendMessageBatch']).toBe(2);
    expect(ops['Lambda.Invoke']).toBe(n);
    expect(ops['S3.PutObject']).toBe(2 * n); // spool + mailbox
  });
});
