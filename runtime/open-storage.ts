/**
 * Opens the storage a process's config names: embedded (the data dir, one machine) or AWS (SQS,
 * S3, DynamoDB). On AWS the directory is read through a short-lived cache (every delivery reads
 * its domain, names and rule sets; each read is a billed request). With STRATO_AWS_REQUEST_LOG set, the
 * process writes its AWS request counts to <log>.<pid>.json every second and at close (bench).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openEmbeddedStorage } from '../adapters/embedded/open.ts';
import type { StorageConfig } from '../core/config/storage-config.ts';
import { CachedDirectory } from '../core/directory/cached-directory.ts';
import { CachedRuleStore } from '../core/directory/cached-rule-store.ts';
import type { Clock } from '../core/ports/clock.ts';
import { systemClock } from '../core/ports/clock.ts';
import type { Storage } from '../core/ports/storage.ts';

/** How long AWS processes trust a directory read; another process's change shows after this. */
export const AWS_DIRECTORY_CACHE_MS = 5_000;

export async function openStorage(config: StorageConfig, opts: { clock?: Clock } = {}): Promise<Storage> {
  const clock = opts.clock ?? systemClock;
  if (config.kind === 'embedded') {
    return openEmbeddedStorage({
      dataDir: resolve(config.dataDir),
      clock,
      maxReceiveCount: config.maxReceiveCount,
      maxQueued: config.maxQueued,
    });
  }
  // Loaded only in AWS mode, so an embedded process never loads the SDK.
  const { openAwsStorage } = await import('../adapters/aws/open.ts');
  const { RequestCounter } = await import('../adapters/aws/request-counter.ts');
  const counter = config.requestLog ? new RequestCounter() : undefined;
  const aws = openAwsStorage(config, { clock, ...(counter ? { counter } : {}) });
  const flush = () => {
    if (counter && config.requestLog) {
      writeFileSync(`${config.requestLog}.${process.pid}.json`, JSON.stringify(counter.snapshot()));
    }
  };
  const timer = counter ? setInterval(flush, 1000) : undefined;
  timer?.unref();
  return {
    ...aws,
    directory: new CachedDirectory(aws.directory, clock, AWS_DIRECTORY_CACHE_MS),
    rules: new CachedRuleStore(aws.rules, clock, AWS_DIRECTORY_CACHE_MS),
    async close() {
      if (timer) clearInterval(timer);
      flush();
      await aws.close();
    },
  };
}
