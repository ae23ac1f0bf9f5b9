/**
 * Test support for the SQS mail queue: SDK clients on the emulators (`inject('emulators')`), a
 * fresh queue + DLQ + index table per `freshQueue()` (so cases can run concurrently: operators
 * list the whole index table), deleted by its cleanup or at the end of the file, a log of the
 * requests sent and one-shot failure injection by operation name.
 * Failure: emulator errors fail the test.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, inject } from 'vitest';
import { awsClients } from './aws-clients.ts';
import { createQueueIndexTable } from './queue-index-table.ts';
import { SqsMailQueue } from './sqs-mail-queue.ts';
import { createMailQueueResources, type MailQueueResources } from './sqs-queue-setup.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

type InjectStack = {
  add(
    mw: (
      next: (args: unknown) => Promise<unknown>,
      context: { commandName?: string },
    ) => (args: unknown) => Promise<unknown>,
    opts: { step: 'initialize'; name: string },
  ): void;
};

export interface QueueFixture extends MailQueueResources {
  /** This queue's own index table. */
  readonly indexTable: string;
  readonly queue: SqsMailQueue;
  /** Another handle on the same queue (another process's view). */
  reopen(): SqsMailQueue;
  /** Close every handle (pending sends and deletes go out), delete the queues and the table. */
  cleanup(): Promise<void>;
}

export interface SqsTestEnv {
  readonly clients: ReturnType<typeof awsClients>;
  /** "SQS.SendMessageBatch", "DynamoDB.UpdateItem", ... in the order sent; clear it at will. */
  readonly sent: string[];
  /** Make the next `times` requests of `operation` (e.g. "SQS.SendMessageBatch") fail. */
  failNext(operation: string, times?: number): void;
  freshQueue(opts?: { maxReceiveCount?: number; maxQueued?: number }): Promise<QueueFixture>;
}

/** Call at the top level of a test file. */
export function sqsTestEnv(): SqsTestEnv {
  const e = inject('emulators');
  const clients = awsClients({
    region: e.region,
    endpoints: { sqs: e.sqs, dynamodb: e.dynamodb },
    credentials: TEST_CREDENTIALS,
  });
  const sent: string[] = [];
  const failures = new Map<string, number>();
  for (const [service, client] of [
    ['SQS', clients.sqs],
    ['DynamoDB', clients.dynamodbRaw],
  ] as const) {
    // Two client types: go through a structural type, the union of their stacks is not callable.
    (client.middlewareStack as unknown as InjectStack).add(
      (next, context) => async (args) => {
        const op = `${service}.${String(context.commandName).replace(/Command$/, '')}`;
        sent.push(op);
        const left = failures.get(op) ?? 0;
        if (left > 0) {
          failures.set(op, left - 1);
          throw Object.assign(new Error(`${op} failed on purpose`), { name: 'InjectedFault' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordAndFail' },
    );
  }
  // Cleanups of the queues whose test did not clean up (each runs once).
  const leftovers = new Set<() => Promise<void>>();
  afterAll(async () => {
    await Promise.all([...leftovers].map((c) => c().catch(() => {})));
    clients.destroy();
  });
  return {
    clients,
    sent,
    failNext(operation, times = 1) {
      failures.set(operation, times);
    },
    async freshQueue(opts = {}) {
      const maxReceiveCount = opts.maxReceiveCount ?? 3;
      const name = `mq-${randomBytes(6).toString('hex')}`;
      const indexTable = `${name}-idx`;
      const [res] = await Promise.all([
        createMailQueueResources(clients.sqs, name, maxReceiveCount),
        createQueueIndexTable(clients.dynamodbRaw, indexTable),
      ]);
      const handles: SqsMailQueue[] = [];
      const open = () => {
        const q = new SqsMailQueue({
          sqs: clients.sqs,
          dynamodb: clients.dynamodb,
          ...res,
          indexTable,
          maxReceiveCount,
          maxQueued: opts.maxQueued ?? 0,
        });
        handles.push(q);
        return q;
      };
      const cleanup = async () => {
        leftovers.delete(cleanup);
        await Promise.all(handles.map((q) => q.close()));
        await Promise.all([
          clients.sqs.send(new DeleteQueueCommand({ QueueUrl: res.queueUrl })),
          clients.sqs.send(new DeleteQueueCommand({ QueueUrl: res.deadLetterQueueUrl })),
          clients.dynamodbRaw.send(new DeleteTableCommand({ TableName: indexTable })),
        ]);
      };
      leftovers.add(cleanup);
      return { ...res, indexTable, queue: open(), reopen: open, cleanup };
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
