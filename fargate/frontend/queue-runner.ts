/**
 * Queue processing inside a frontend process (the cluster's "Remote Queue Processing"): builds
 * the delivery channel (LMTP to backends), the outbound relay (capture dir or smarthost) and the
 * core QueueProcessor from the queue config. `stop()` stops leasing, waits for running
 * deliveries and closes pooled connections; a job cut short simply comes back after its lease.
 */
import { join } from 'node:path';
import { CaptureRelay } from '../../adapters/embedded/capture-relay.ts';
import { LmtpChannel } from '../../adapters/net/lmtp-channel.ts';
import { SmarthostRelay } from '../../adapters/net/smarthost-relay.ts';
import type { QueueConfig } from '../../core/config/queue-config.ts';
import { QueueProcessor } from '../../core/delivery/queue-processor.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { Logger } from '../../core/ports/logger.ts';
import type { OutboundRelay } from '../../core/ports/outbound-relay.ts';
import type { Storage } from '../../core/ports/storage.ts';

export interface QueueRunner {
  readonly processor: QueueProcessor;
  stop(): Promise<void>;
}

export function createRelay(
  config: QueueConfig,
  dataDir: string,
  hostname: string,
): OutboundRelay & { close?(): void } {
  if (config.relay === 'smarthost') {
    return new SmarthostRelay({
      host: config.smarthostHost!,
      port: config.smarthostPort,
      secure: config.smarthostSecure,
      heloName: hostname,
      ...(config.smarthostUser
        ? { user: config.smarthostUser, password: config.smarthostPassword ?? '' }
        : {}),
    });
  }
  return new CaptureRelay(config.captureDir ?? join(dataDir, 'outbound'));
}

export function startQueueRunner(opts: {
  storage: Storage;
  config: QueueConfig;
  dataDir: string;
  hostname: string;
  clock: Clock;
  logger: Logger;
}): QueueRunner {
  const { storage, config } = opts;
  const channel = new LmtpChannel({ clientName: opts.hostname, timeoutMs: config.visibilitySeconds * 500 });
  const relay = createRelay(config, opts.dataDir, opts.hostname);
  const processor = new QueueProcessor(
    {
      queue: storage.queue,
      messages: storage.messages,
      directory: storage.directory,
      leases: storage.leases,
      registry: storage.backends,
      channel,
      relay,
      clock: opts.clock,
      logger: opts.logger,
      hostname: opts.hostname,
      backendMode: config.backendMode,
      schedule: {
        firstRetrySeconds: config.firstRetrySeconds,
        maxRetrySeconds: config.maxRetrySeconds,
        backoffFactor: 2,
        warnAfterSeconds: config.warnAfterSeconds,
        lifetimeSeconds: config.lifetimeSeconds,
      },
    },
    {
      concurrency: config.concurrency,
      visibilitySeconds: config.visibilitySeconds,
      pollWaitMs: config.pollWaitMs,
    },
  );
  processor.start();
  opts.logger.info({
    event: 'queue.processing_started',
    concurrency: config.concurrency,
    relay: config.relay,
  });
  return {
    processor,
    async stop() {
      await processor.stop();
      await channel.close();
      relay.close?.();
    },
  };
}
