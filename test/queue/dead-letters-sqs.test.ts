/**
 * The dead-letter report on the AWS queue (SQS + DLQ + index, against the emulators): a job
 * received maxReceiveCount times without an ack goes to the DLQ. Its last-chance lease sits in
 * the index's dead-letters GSI, so a sweep finds it with a Query (no Scan is sent); of two
 * processors sweeping at once exactly one reports it (one `queue.dead_lettered`, one failed DSN),
 * later sweeps report nothing, and the job stays dead and redrivable.
 * The wiring itself: a Fargate queue processor built by createQueueRunner on AWS storage sweeps
 * on its own (event + DSN relayed), and the queue Lambda's entry point, given the EventBridge
 * scheduled event, reports a dead job once and enqueues its DSN.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import type { SqsMailQueue } from '../../adapters/aws/sqs-mail-queue.ts';
import { sleep, sqsTestEnv } from '../../adapters/aws/sqs-test-support.ts';
import { makeJob } from '../../adapters/contract/helpers.ts';
import { FileMessageStore } from '../../adapters/embedded/file-message-store.ts';
import { tempDir } from '../../adapters/embedded/test-support.ts';
import { parseQueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { LogFields, Logger } from '../../core/ports/logger.ts';
import type { MailQueue, QueueJob } from '../../core/ports/mail-queue.ts';
import type { MessageStore } from '../../core/ports/message-store.ts';
import { reportDeadLetters } from '../../core/queue/report-dead-letters.ts';
import { openStorage, type ProcessStorage } from '../../runtime/open-storage.ts';
import { createQueueRunner } from '../../runtime/queue-runner.ts';
import { createLocalAwsResources } from '../../scripts/aws-local-resources.ts';
import { eventually } from '../support/cluster.ts';

const env = sqsTestEnv();

function recordingLogger(lines: LogFields[]): Logger {
  const log: Logger = {
    debug: (f) => lines.push(f),
    info: (f) => lines.push(f),
    warn: (f) => lines.push(f),
    error: (f) => lines.push(f),
    child: () => log,
  };
  return log;
}

/** Enqueue `job` (body stored) and let two processors die holding it: it goes dead. */
async function driveDead(
  queue: MailQueue & Pick<SqsMailQueue, 'get'>,
  messages: MessageStore,
  job: QueueJob,
) {
  await messages.put(job.id, Readable.from([Buffer.from('Subject: hi\r\n\r\nhello\r\n')]));
  await queue.enqueue([job]);
  for (let i = 0; i < 2; i++) {
    const got = await queue.receive({ max: 1, visibilitySeconds: 1, waitMs: 3000 });
    expect(got.map((l) => l.job.id)).toEqual([job.id]);
    await sleep(2000);
  }
  expect(await queue.receive({ max: 1, visibilitySeconds: 1, waitMs: 1000 })).toEqual([]);
  expect((await queue.get(job.id))?.status).toBe('dead');
}

describe('dead letters on SQS', () => {
  it('reports a DLQ job once across two sweeping processors, by Query, and leaves it redrivable', async () => {
    const fresh = await env.freshQueue({ maxReceiveCount: 2 });
    onTestFinished(fresh.cleanup);
    const { queue } = fresh;
    const other = fresh.reopen();
    const dir = await tempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const messages = await FileMessageStore.open(dir);
    const job = makeJob();
    await driveDead(queue, messages, job);

    const lines: LogFields[] = [];
    const deps = (q: SqsMailQueue) => ({
      source: q.deadLetters,
      queue: q,
      messages,
      clock: systemClock,
      logger: recordingLogger(lines),
      hostname: 'mx.test',
    });
    env.sent.length = 0;
    // Two processors sweep at once, each with a fresh memory: one of them reports the job.
    const [a, b] = await Promise.all([
      reportDeadLetters(deps(queue), new Set()),
      reportDeadLetters(deps(other), new Set()),
    ]);
    expect([...a, ...b]).toEqual([job.id]);
    const events = lines.filter((l) => l.event === 'queue.dead_lettered');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ queueId: job.id, pending: ['alice@example.com', 'bob@example.net'] });
    const dsnId = events[0]?.dsnId as string;
    expect(typeof dsnId).toBe('string');
    // Reported: the GSI no longer lists it, so later sweeps (a restart) report nothing.
    expect(await reportDeadLetters(deps(other), new Set())).toEqual([]);
    expect(lines.filter((l) => l.event === 'queue.dead_letter_report_failed')).toEqual([]);
    // Least privilege: the sweeps read the index with a Query, never a Scan.
    expect(env.sent).toContain('DynamoDB.Query');
    expect(env.sent).not.toContain('DynamoDB.Scan');

    const dsns: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const l of await queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 1000 })) {
        dsns.push(l.job.id);
        expect(l.job.envelope).toMatchObject({
          mailFrom: '',
          recipients: [{ address: 'sender@example.org' }],
        });
        await queue.ack(l.receipt);
      }
    }
    expect(dsns).toEqual([dsnId]);
    expect((await queue.get(job.id))?.status).toBe('dead');
    expect(await queue.releaseNow(job.id)).toBe(true);
    const [again] = await queue.receive({ max: 1, visibilitySeconds: 30, waitMs: 3000 });
    expect(again?.job.id).toBe(job.id);
    expect(again?.receiveCount).toBe(1);
    // Released, it is no dead letter any more.
    expect(await queue.deadLetters.unreported(10)).toEqual([]);
  }, 30_000);
});

describe('dead letters: the AWS wiring', () => {
  async function awsStorage(): Promise<{
    storage: ProcessStorage & { queue: SqsMailQueue };
    vars: Record<string, string>;
  }> {
    const vars = await createLocalAwsResources(inject('emulators'), `d${randomBytes(3).toString('hex')}`, 2);
    const storage = (await openStorage(parseStorageConfig(vars))) as ProcessStorage & { queue: SqsMailQueue };
    onTestFinished(() => storage.close());
    return { storage, vars };
  }

  it('a Fargate queue processor (createQueueRunner on AWS storage) reports a dead job and relays its DSN', async () => {
    const { storage } = await awsStorage();
    const job = makeJob();
    await driveDead(storage.queue, storage.messages, job);
    const dataDir = await tempDir();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    const lines: LogFields[] = [];
    const runner = await createQueueRunner({
      storage,
      config: parseQueueConfig({
        STRATO_QUEUE_DEAD_LETTER_SWEEP_MS: '200',
        STRATO_QUEUE_POLL_WAIT_MS: '200',
      }),
      dataDir,
      hostname: 'mx.test',
      channelSecret: 'x'.repeat(32),
      clock: systemClock,
      logger: recordingLogger(lines),
      actor: { role: 'frontend', id: 'fe-test' },
    });
    onTestFinished(() => runner.stop());
    runner.processor.start();
    const event = await eventually(async () => lines.find((l) => l.event === 'queue.dead_lettered'));
    expect(event).toMatchObject({ queueId: job.id });
    // The processor itself then relays the DSN to the sender (the capture relay).
    await eventually(async () => {
      const files = await readdir(join(dataDir, 'outbound')).catch(() => []);
      return files.some((f) => f.startsWith(String(event.dsnId))) ? true : undefined;
    });
    await sleep(600); // three more sweeps: none reports it again
    expect(lines.filter((l) => l.event === 'queue.dead_lettered')).toHaveLength(1);
  }, 30_000);

  it('the queue Lambda, on its EventBridge schedule, reports a dead job once and enqueues its DSN', async () => {
    const { storage, vars } = await awsStorage();
    const job = makeJob();
    await driveDead(storage.queue, storage.messages, job);
    const dataDir = await tempDir();
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
    Object.assign(process.env, vars, {
      STRATO_SRS_SECRET: 'a-test-secret-of-enough-length',
      STRATO_LOG_LEVEL: 'silent',
      STRATO_DATA_DIR: dataDir,
      STRATO_BACKEND_FUNCTION: 'unused-here',
    });
    const { handler } = await import('../../lambdas/queue/handler.ts');
    const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as const;
    expect(await handler(scheduled, {} as Context)).toEqual({ reported: [job.id] });
    expect(await handler(scheduled, {} as Context)).toEqual({ reported: [] });
    const got = await storage.clients!.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: vars.STRATO_QUEUE_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
      }),
    );
    const bodies = (got.Messages ?? []).map((m) => m.Body ?? '');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('"source":"DSN"');
    expect(bodies[0]).toContain('sender@example.org');
  }, 30_000);
});
