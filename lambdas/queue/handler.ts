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
import { parseMetricsConfig } from '../../core/config/metrics-config.ts';
import { parseQueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { withClusterSettings } from '../../core/queue/retry-schedule.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startMetrics } from '../../runtime/metrics/start-metrics.ts';
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
  // Flushed after each invocation: a frozen execution environment runs no timer.
  const metricsHandle = startMetrics({
    config: parseMetricsConfig(process.env),
    role: 'queue-lambda',
    logger,
  });
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
    metricsHandle,
    sqs: createQueueHandler({
      ...deps,
      queue: storage.queue,
      visibilitySeconds: queue.visibilitySeconds,
      // The cluster's stored retry and lifetime; a failed read keeps the environment's schedule.
      readSchedule: () =>
        storage.control.getQueueSettings().then(
          (settings) => withClusterSettings(deps.schedule, settings),
          (err) => {
            logger.warn({ event: 'queue.settings_read_failed', err: String(err) });
            return deps.schedule;
          },
        ),
    }),
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
  try {
    if (isScheduledEvent(event)) return await h.sweep();
    return await h.sqs(event, context);
  } finally {
    h.metricsHandle.flush();
  }
}
