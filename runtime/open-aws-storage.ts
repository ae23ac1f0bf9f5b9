/**
 * Opens the AWS storage of a process (SQS, S3, DynamoDB), typed as AWS storage: its `queue` is
 * the SqsMailQueue, so code that only ever runs on AWS (the queue Lambda admitting event-source
 * records) uses it without a cast. The directory and rule sets are read through a short-lived
 * cache (every delivery reads its domain, names and rule sets; each read is a billed request).
 * With a request log set, AWS request counts go to <log>.<pid>.json every second and at close
 * (bench). A config that is not for AWS storage throws; nothing is contacted at open.
 */
import { writeFileSync } from 'node:fs';
import { type AwsStorage, openAwsStorage } from '../adapters/aws/open.ts';
import { RequestCounter } from '../adapters/aws/request-counter.ts';
import { ENV } from '../core/config/env-names.ts';
import type { StorageConfig } from '../core/config/storage-config.ts';
import { CachedDirectory } from '../core/directory/cached-directory.ts';
import { CachedRuleStore } from '../core/directory/cached-rule-store.ts';
import { type Clock, systemClock } from '../core/ports/clock.ts';

/** How long AWS processes trust a directory read; another process's change shows after this. */
export const AWS_DIRECTORY_CACHE_MS = 5_000;

export function openAwsProcessStorage(config: StorageConfig, opts: { clock?: Clock } = {}): AwsStorage {
  if (config.kind !== 'aws') throw new Error(`${ENV.storage}=aws is required here (got ${config.kind})`);
  const clock = opts.clock ?? systemClock;
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
