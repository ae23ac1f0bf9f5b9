/**
 * The queue Lambda's entry point (an SQS event source on the mail queue, with
 * ReportBatchItemFailures): processes each record with the same core as the frontends'
 * processors, delivering through the backend Lambda or LMTP backends and relaying through SES;
 * an EventBridge scheduled event instead runs one dead-letter sweep (dead-letter-sweep.ts).
 * Config and storage (AWS storage, required) are set up once per cold start; a config error
 * fails every invocation.
 */
import { randomBytes } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseFrontendConfig } from '../../core/config/frontend-config.ts';
import { parseQueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { createLogger } from '../../runtime/logger.ts';
import { openAwsProcessStorage } from '../../runtime/open-aws-storage.ts';
import { startQueueRunnerDeps } from '../../runtime/queue-runner.ts';
import { createDeadLetterSweepHandler, isScheduledEvent, type ScheduledEvent } from './dead-letter-sweep.ts';
import { createQueueHandler } from './handler-core.ts';

async function init() {
  const queue = parseQueueConfig(process.env);
  const { hostname, logLevel, dataDir } = parseFrontendConfig(process.env);
  // The queue Lambda runs on AWS only: its storage is typed AWS storage (queue: SqsMailQueue).
  const storage = openAwsProcessStorage(parseStorageConfig(process.env));
  const logger = createLogger({ level: logLevel, role: 'queue-lambda' });
  const deps = await startQueueRunnerDeps({
    storage,
    config: queue,
    dataDir,
    hostname,
    // It delivers only to the backend Lambda (cdk/config.ts refuses it with LMTP backends): an
    // LMTP backend, which requires the cluster's channel secret, would refuse this one.
    channelSecret: randomBytes(32).toString('hex'),
    clock: systemClock,
    logger,
    // One id per execution environment: its log stream's.
    actor: {
      role: 'queue-lambda',
      id: process.env.AWS_LAMBDA_LOG_STREAM_NAME?.split(']').pop() || 'queue-lambda',
    },
  });
  return {
    sqs: createQueueHandler({ ...deps, queue: storage.queue, visibilitySeconds: queue.visibilitySeconds }),
    sweep: createDeadLetterSweepHandler({ ...deps, deadLetters: storage.queue.deadLetters }),
  };
}

let ready: ReturnType<typeof init> | undefined;

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse>;
export async function handler(event: ScheduledEvent, context: Context): Promise<{ reported: string[] }>;
export async function handler(
  event: SQSEvent | ScheduledEvent,
  context: Context,
): Promise<SQSBatchResponse | { reported: string[] }> {
  ready ??= init();
  const h = await ready;
  // The EventBridge schedule (cdk/constructs/queue-lambda.ts) sweeps dead letters.
  if (isScheduledEvent(event)) return h.sweep();
  return h.sqs(event, context);
}
