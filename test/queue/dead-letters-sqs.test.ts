/**
 * The dead-letter report on the AWS queue (SQS + DLQ + index, against the emulators): a job
 * received maxReceiveCount times without an ack goes to the DLQ; reportDeadLetters finds it
 * through the operator port, enqueues exactly one failed DSN to the sender (a second sweep, as
 * another processor would run, enqueues nothing new), and the job stays dead and redrivable.
 */
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sleep, sqsTestEnv } from '../../adapters/aws/sqs-test-support.ts';
import { makeJob } from '../../adapters/contract/helpers.ts';
import { FileMessageStore } from '../../adapters/embedded/file-message-store.ts';
import { tempDir } from '../../adapters/embedded/test-support.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { LogFields, Logger } from '../../core/ports/logger.ts';
import { reportDeadLetters } from '../../core/queue/report-dead-letters.ts';

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

describe('dead letters on SQS', () => {
  it('reports a DLQ job once and leaves it redrivable', async () => {
    const fresh = await env.freshQueue({ maxReceiveCount: 2 });
    onTestFinished(fresh.cleanup);
    const { queue } = fresh;
    const dir = await tempDir();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const messages = await FileMessageStore.open(dir);
    const job = makeJob();
    await messages.put(job.id, Readable.from([Buffer.from('Subject: hi\r\n\r\nhello\r\n')]));
    await queue.enqueue([job]);
    // Two processors die holding the job (received, never acked).
    for (let i = 0; i < 2; i++) {
      const got = await queue.receive({ max: 1, visibilitySeconds: 1, waitMs: 3000 });
      expect(got.map((l) => l.job.id)).toEqual([job.id]);
      await sleep(2000);
    }
    expect(await queue.receive({ max: 1, visibilitySeconds: 1, waitMs: 1000 })).toEqual([]);
    expect((await queue.get(job.id))?.status).toBe('dead');

    const lines: LogFields[] = [];
    const deps = {
      operator: queue,
      queue,
      messages,
      clock: systemClock,
      logger: recordingLogger(lines),
      hostname: 'mx.test',
    };
    expect(await reportDeadLetters(deps, new Set())).toEqual([job.id]);
    const event = lines.find((l) => l.event === 'queue.dead_lettered');
    expect(event).toMatchObject({ queueId: job.id, pending: ['alice@example.com', 'bob@example.net'] });
    const dsnId = event?.dsnId as string;
    expect(typeof dsnId).toBe('string');
    // Another processor's sweep (a fresh memory) sends the same DSN id, which the queue ignores.
    expect(await reportDeadLetters(deps, new Set())).toEqual([job.id]);
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
  });
});
