/**
 * Opens the storage a process's config names: embedded (the data dir, one machine) or AWS (SQS,
 * S3, DynamoDB, through open-aws-storage.ts, loaded only then so an embedded process never loads
 * the SDK). A config error throws; nothing on AWS is contacted at open.
 */
import { resolve } from 'node:path';
import type { AwsClients } from '../adapters/aws/aws-clients.ts';
import { openEmbeddedStorage } from '../adapters/embedded/open.ts';
import type { StorageConfig } from '../core/config/storage-config.ts';
import type { Clock } from '../core/ports/clock.ts';
import { systemClock } from '../core/ports/clock.ts';
import type { Storage } from '../core/ports/storage.ts';

/**
 * A process's storage, with the AWS SDK clients when it is AWS storage (the SES relay and the
 * Lambda channel use them); AwsStorage has this shape already.
 */
export interface ProcessStorage extends Storage {
  readonly clients?: AwsClients;
}

export async function openStorage(
  config: StorageConfig,
  opts: { clock?: Clock } = {},
): Promise<ProcessStorage> {
  const clock = opts.clock ?? systemClock;
  if (config.kind === 'embedded') {
    return openEmbeddedStorage({
      dataDir: resolve(config.dataDir),
      clock,
      maxReceiveCount: config.maxReceiveCount,
      maxQueued: config.maxQueued,
      historyDays: config.historyDays,
    });
  }
  const { openAwsProcessStorage } = await import('./open-aws-storage.ts');
  return openAwsProcessStorage(config, { clock });
}
