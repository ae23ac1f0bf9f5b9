/**
 * `strato trace` on the AWS adapters (emulators): a job on its first attempt lives only as an SQS
 * message (no queue-index item, so `queue list` cannot see it); with an accepted event and no end
 * in the history, trace shows it as queued in SQS and `--queued` finds it by recipient.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import { acceptedFact } from '../../core/util/history-recorder.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { type AwsMode, createAwsMode } from '../aws/aws-mode.ts';
import { strato } from './run-cli.ts';

let aws: AwsMode;
let env: Record<string, string>;

beforeAll(async () => {
  aws = await createAwsMode();
  const e = inject('emulators');
  const c = aws.config;
  env = {
    STRATO_STORAGE: 'aws',
    AWS_REGION: c.region,
    STRATO_QUEUE_URL: c.queueUrl!,
    STRATO_DLQ_URL: c.deadLetterQueueUrl!,
    STRATO_QUEUE_INDEX_TABLE: c.queueIndexTable!,
    STRATO_SPOOL_BUCKET: c.spoolBucket!,
    STRATO_MAILBOX_BUCKET: c.mailboxBucket!,
    STRATO_DIRECTORY_TABLE: c.directoryTable!,
    STRATO_MAILBOX_TABLE: c.mailboxTable!,
    STRATO_COORDINATION_TABLE: c.coordinationTable!,
    STRATO_HISTORY_TABLE: c.historyTable!,
    STRATO_AWS_ENDPOINT_SQS: e.sqs,
    STRATO_AWS_ENDPOINT_S3: e.s3,
    STRATO_AWS_ENDPOINT_DYNAMODB: e.dynamodb,
  };
});

afterAll(async () => {
  await aws?.storage.close();
});

async function firstAttemptJob(to: string): Promise<QueueJob> {
  const id = newQueueId();
  const body = await aws.storage.messages.put(id, Readable.from([Buffer.from('Subject: x\r\n\r\nx\r\n')]));
  const job: QueueJob = {
    id,
    source: 'SMTP',
    createdAt: Date.now(),
    body,
    envelope: {
      mailFrom: 'carol@example.org',
      recipients: [{ address: to, original: to, state: 'pending', attempts: 0 }],
    },
    attempts: 0,
  };
  await aws.storage.queue.enqueue([job]);
  const by = { role: 'frontend', id: 'fe-1' } as const;
  await aws.storage.history.append([{ ...acceptedFact(job), queueId: id, at: Date.now(), by }]);
  return job;
}

describe('strato trace on the AWS adapters', () => {
  it('shows a first-attempt job as queued in SQS and finds it by recipient with --queued', async () => {
    const job = await firstAttemptJob('dora@example.com');
    expect(await aws.storage.queue.get(job.id)).toBeUndefined(); // invisible to the queue index
    const byId = await strato('', ['trace', job.id], { env, noDataDir: true });
    expect(byId.code).toBe(0);
    expect(byId.stdout).toMatch(/State:\s+queued \(first attempt, in SQS\)/);
    const found = await strato('', ['--json', 'trace', 'dora@example.com', '--queued'], {
      env,
      noDataDir: true,
    });
    expect(found.code).toBe(0);
    const json = JSON.parse(found.stdout) as { messages: { queueId: string; queued: boolean }[] };
    expect(json.messages).toEqual([expect.objectContaining({ queueId: job.id, queued: true })]);

    const by = { role: 'frontend', id: 'fe-1' } as const;
    await aws.storage.history.append([{ kind: 'done', attempts: 1, queueId: job.id, at: Date.now(), by }]);
    const after = await strato('', ['trace', 'dora@example.com', '--queued'], { env, noDataDir: true });
    expect(after).toMatchObject({
      code: 1,
      stderr: 'strato: no queued message with history for dora@example.com\n',
    });
  });
});
