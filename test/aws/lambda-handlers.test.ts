/**
 * The Lambda entry points as AWS would run them: configured only by environment variables
 * (the names a deployment sets), against resources on the emulators. The backend Lambda stores
 * a message by reference; the queue Lambda takes an SQS event and answers partial failures.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { createLocalAwsResources } from '../../scripts/aws-local-resources.ts';

let storage: Storage & { clients?: { sqs: import('@aws-sdk/client-sqs').SQSClient } };
let env: Record<string, string>;

beforeAll(async () => {
  env = await createLocalAwsResources(inject('emulators'), `h${randomBytes(3).toString('hex')}`);
  Object.assign(process.env, env, {
    STRATO_SRS_SECRET: 'a-test-secret-of-enough-length',
    STRATO_RELAY: 'ses',
    STRATO_LOG_LEVEL: 'silent',
  });
  storage = (await openStorage(parseStorageConfig(process.env))) as typeof storage;
  await seedDomain(storage.directory, 'example.com', ['carol']);
});

async function spooled(text: string): Promise<{ id: string; body: { key: string; size: number } }> {
  const id = newQueueId();
  return { id, body: await storage.messages.put(id, Readable.from([Buffer.from(text)])) };
}

describe('Lambda entry points, configured from the environment', () => {
  it('backend Lambda: delivers by reference and answers per recipient', async () => {
    const { handler } = await import('../../lambdas/backend/handler.ts');
    const { id, body } = await spooled('Subject: by reference\r\n\r\nhello\r\n');
    const result = await handler({
      deliveryId: id,
      mailFrom: 'x@remote.example',
      recipients: ['carol@example.com', 'zed@example.com'],
      body,
    });
    expect(result.outcomes.map((o) => [o.recipient, o.outcome.kind])).toEqual([
      ['carol@example.com', 'delivered'],
      ['zed@example.com', 'permanent'],
    ]);
    expect(await storage.mailboxes.list('carol@example.com', 'INBOX')).toHaveLength(1);
  });

  it('queue Lambda: processes an SQS event with the same core and reports no failures', async () => {
    process.env.STRATO_BACKEND_FUNCTION = 'unused-here';
    const { handler } = await import('../../lambdas/queue/handler.ts');
    const { id, body } = await spooled('From: x@remote.example\r\nSubject: to ses\r\n\r\nhello\r\n');
    const job: QueueJob = {
      id,
      source: 'SMTP',
      createdAt: Date.now(),
      body,
      envelope: {
        mailFrom: 'x@remote.example',
        recipients: [
          {
            address: 'out@elsewhere.example',
            original: 'out@elsewhere.example',
            state: 'pending',
            attempts: 0,
          },
        ],
      },
      attempts: 0,
    };
    await storage.queue.enqueue([job]);
    const got = await storage.clients!.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: env.STRATO_QUEUE_URL,
        WaitTimeSeconds: 1,
        AttributeNames: ['All'],
      }),
    );
    const event = {
      Records: (got.Messages ?? []).map((m) => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body!,
        attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
      })),
    } as unknown as SQSEvent;
    expect(event.Records).toHaveLength(1);
    expect(await handler(event, {} as Context)).toEqual({ batchItemFailures: [] });
    const store = (await (await fetch(`${inject('emulators').ses}/store`)).json()) as {
      emails: { subject?: string }[];
    };
    expect(store.emails.some((m) => m.subject === 'to ses')).toBe(true);
  });
});
