/**
 * A job held by a queue Lambda that dies comes back and is delivered, never deleted unprocessed
 * (SQS and DynamoDB on the emulators, the real queue Lambda handler core). The event source is
 * emulated as AWS runs it: it receives a batch (the visibility timeout starts then), invokes the
 * function some time later (batching window, cold start), and deletes every record the response
 * does not list as failed. Before the fix the handler timed the index lease from the invocation,
 * so the lease outlasted SQS's visibility: the record came back to a second invocation while the
 * index still showed the dead one's lease, was taken for a duplicate, reported as done and
 * deleted by the event source — the job was lost. The second case: SQS hands the record out again
 * while a live lease holds it; that invocation must report it failed (kept), not done.
 */
import { Readable } from 'node:stream';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sleep, sqsTestEnv } from '../../adapters/aws/sqs-test-support.ts';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { tempStorage } from '../../adapters/embedded/test-support.ts';
import type { RecipientOutcome } from '../../core/mail/outcome.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';
import { fixedBackends } from '../../core/queue/fixed-backends.ts';
import { DEFAULT_RETRY_SCHEDULE } from '../../core/queue/retry-schedule.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { createQueueHandler } from '../../lambdas/queue/handler-core.ts';
import { eventually } from '../support/cluster.ts';

const env = sqsTestEnv();
const VISIBILITY = 3;

function toEvent(messages: readonly Message[]): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' },
    })),
  } as unknown as SQSEvent;
}

/** A relay that never answers: the invocation using it "dies" holding its record. */
const deadRelay: OutboundRelay = { send: () => new Promise(() => {}) };

function recordingRelay(sent: string[]): OutboundRelay {
  return {
    async send(req: RelayRequest) {
      sent.push(req.jobId);
      return new Map<string, RecipientOutcome>(req.recipients.map((r) => [r, { kind: 'delivered' }]));
    },
  };
}

/** A fresh queue with one indexed job to out@elsewhere.example, and the event source's moves. */
async function fixture() {
  const fresh = await env.freshQueue({ maxReceiveCount: 10 });
  onTestFinished(fresh.cleanup);
  const local = await tempStorage();
  onTestFinished(local.cleanup);
  await seedDomain(local.storage.directory, 'example.com', []);
  const { queue, queueUrl } = fresh;
  const handler = (relay: OutboundRelay) =>
    createQueueHandler({
      queue,
      messages: local.storage.messages,
      directory: local.storage.directory,
      leases: local.storage.leases,
      registry: fixedBackends([]),
      channel: { deliver: () => Promise.reject(new Error('no local recipients here')) },
      relay,
      clock: systemClock,
      logger: silentLogger,
      schedule: DEFAULT_RETRY_SCHEDULE,
      hostname: 'mx.test',
      backendMode: 'dynamic',
      visibilitySeconds: VISIBILITY,
    });
  const id = newQueueId();
  const body = await local.storage.messages.put(
    id,
    Readable.from([Buffer.from('From: a@remote.example\r\nSubject: x\r\n\r\nhi\r\n')]),
  );
  const job: QueueJob = {
    id,
    source: 'SMTP',
    createdAt: Date.now(),
    body,
    envelope: {
      mailFrom: 'a@remote.example',
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
  // A delayed enqueue indexes the job: its receives take an index lease.
  await queue.enqueue([job], { delaySeconds: 1 });

  /** The event source: receive a batch with the function's visibility timeout. */
  const receive = async (waitSeconds: number): Promise<Message[]> =>
    (
      await env.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: VISIBILITY,
          WaitTimeSeconds: waitSeconds,
          AttributeNames: ['All'],
        }),
      )
    ).Messages ?? [];
  /** Invoke, then delete what the response does not list as failed (as the event source does). */
  const invoke = async (relay: OutboundRelay, messages: Message[]) => {
    const response = await handler(relay)(toEvent(messages), {} as Context);
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const m of messages) {
      if (!failed.has(m.MessageId!))
        await env.clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }),
        );
    }
    return response;
  };
  const firstReceive = () =>
    eventually(async () => {
      const got = await receive(1);
      return got.length === 1 ? got : undefined;
    }, 10_000);
  /** Hand the record to invocations until one delivers it (or 20 s pass); answers what was sent. */
  const deliverEventually = async (): Promise<string[]> => {
    const sent: string[] = [];
    const deadline = Date.now() + 20_000;
    while (sent.length === 0 && Date.now() < deadline) {
      const again = await receive(1);
      if (again.length > 0) await invoke(recordingRelay(sent), again);
    }
    return sent;
  };
  return { queue, queueUrl, id, handler, receive, invoke, firstReceive, deliverEventually };
}

describe('queue Lambda: a record held by a dead invocation', () => {
  it('comes back and is delivered, never reported done and deleted unprocessed', async () => {
    const f = await fixture();
    const first = await f.firstReceive();
    // The first invocation starts two seconds after the receive (a cold start) and dies holding it.
    await sleep(2000);
    void f.handler(deadRelay)(toEvent(first), {} as Context);
    await eventually(async () => ((await f.queue.get(f.id))?.status === 'in-flight' ? true : undefined));

    // SQS's visibility runs out; the event source hands the record to other invocations until
    // one delivers it. No invocation may report it done without delivering it.
    expect(await f.deliverEventually()).toEqual([f.id]);
    // Delivered once and gone: nothing comes back.
    expect((await f.queue.get(f.id))?.status).toBeUndefined();
    expect(await f.receive(0)).toEqual([]);
  }, 40_000);

  it('a record SQS hands out again under a live lease is reported failed, kept, and delivered later', async () => {
    const f = await fixture();
    const first = await f.firstReceive();
    void f.handler(deadRelay)(toEvent(first), {} as Context);
    await eventually(async () => ((await f.queue.get(f.id))?.status === 'in-flight' ? true : undefined));
    // SQS delivers the message again while the first invocation still holds its lease (a standard
    // queue's duplicate delivery; here: its visibility ended early).
    await env.clients.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: f.queueUrl,
        ReceiptHandle: first[0]!.ReceiptHandle!,
        VisibilityTimeout: 0,
      }),
    );
    const dup = await f.firstReceive();
    const sent: string[] = [];
    const response = await f.invoke(recordingRelay(sent), dup);
    // Not processed and not done: listed as failed, so the event source leaves it in the queue.
    expect(sent).toEqual([]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: dup[0]!.MessageId }]);
    // The first invocation died: once its lease ran out the job is delivered.
    expect(await f.deliverEventually()).toEqual([f.id]);
    expect((await f.queue.get(f.id))?.status).toBeUndefined();
  }, 40_000);
});
