/**
 * The SES feedback Lambda's entry point: subscribed to the SNS topic the configuration set's
 * event destination publishes bounces and complaints to (cdk/constructs/ses-feedback.ts).
 * Storage (AWS, required) and config are set up once per cold start; a config error fails every
 * invocation (SNS retries, then the event is lost — the SES reputation metrics still count it).
 */
import type { SNSEvent } from 'aws-lambda';
import { parseFrontendConfig } from '../../core/config/frontend-config.ts';
import { parseQueueConfig } from '../../core/config/queue-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { createLogger } from '../../runtime/logger.ts';
import { openAwsProcessStorage } from '../../runtime/open-aws-storage.ts';
import { createSesFeedbackHandler } from './handler-core.ts';

function init() {
  const { hostname, logLevel } = parseFrontendConfig(process.env);
  const { bounceAddress } = parseQueueConfig(process.env);
  const storage = openAwsProcessStorage(parseStorageConfig(process.env));
  return createSesFeedbackHandler({
    suppressions: storage.suppressions,
    directory: storage.directory,
    queue: storage.queue,
    messages: storage.messages,
    clock: systemClock,
    hostname,
    ...(bounceAddress ? { bounceAddress } : {}),
    logger: createLogger({ level: logLevel, role: 'ses-feedback' }),
  });
}

let ready: ReturnType<typeof init> | undefined;

export async function handler(event: SNSEvent): Promise<{ recorded: number; ignored: number }> {
  ready ??= init();
  return ready(event);
}
