/**
 * In-process delivery harness for tests: real embedded storage on a TestClock, real LMTP backend
 * servers on loopback, the real LMTP channel and a capture relay. Only time is simulated.
 */

import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { SMTPServer } from 'smtp-server';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { CaptureRelay } from '../../adapters/embedded/capture-relay.ts';
import { type TempStorage, tempStorage } from '../../adapters/embedded/test-support.ts';
import { LmtpChannel } from '../../adapters/net/lmtp-channel.ts';
import { createLmtpServer } from '../../adapters/net/lmtp-server.ts';
import { hashPassword } from '../../core/auth/password.ts';
import { DeliveryGate } from '../../core/delivery/delivery-gate.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { DsnNotify, QueueJob } from '../../core/ports/mail-queue.ts';
import type { OutboundRelay } from '../../core/ports/outbound-relay.ts';
import { type ProcessorDeps, processJob } from '../../core/queue/process-job.ts';
import type { QuickRetrySettings } from '../../core/queue/quick-retry.ts';
import type { RetrySchedule } from '../../core/queue/retry-schedule.ts';
import { newQueueId } from '../../core/util/ids.ts';

/** The channel secret the harness's backends require and its channel sends. */
const CHANNEL_SECRET = 'queue-harness-channel-secret';

export const SCHEDULE: RetrySchedule = {
  firstRetrySeconds: 60,
  maxRetrySeconds: 600,
  backoffFactor: 2,
  warnAfterSeconds: 3600,
  lifetimeSeconds: 4 * 3600,
};

export interface Harness extends TempStorage {
  readonly deps: ProcessorDeps;
  /** Each backend's delivery gate: close it to make the backend answer "stopping". */
  readonly backends: { id: string; server: SMTPServer; address: string; gate: DeliveryGate }[];
  readonly captureDir: string;
  enqueue(opts: {
    from: string;
    to: string[];
    body?: string;
    notify?: DsnNotify[];
    ret?: 'FULL' | 'HDRS';
  }): Promise<QueueJob>;
  /** Receive the next ready job and process it; undefined when none is ready. */
  runOnce(): Promise<{ job: QueueJob; result: string } | undefined>;
  heartbeatAll(): Promise<void>;
  stopBackend(id: string): Promise<void>;
  captured(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    backends?: number;
    relay?: OutboundRelay;
    quickRetry?: QuickRetrySettings;
    maxReceiveCount?: number;
  } = {},
): Promise<Harness> {
  const temp = await tempStorage(
    opts.maxReceiveCount !== undefined ? { maxReceiveCount: opts.maxReceiveCount } : {},
  );
  const { storage, clock } = temp;
  await seedDomain(storage.directory, 'example.com', []);
  for (const name of ['alice', 'bob']) {
    await storage.directory.addAccount({
      address: `${name}@example.com`,
      domain: 'example.com',
      name,
      passwordHash: await hashPassword('pw'),
      settings: {},
      createdAt: 0,
    });
  }
  const backends: Harness['backends'] = [];
  for (let i = 0; i < (opts.backends ?? 2); i++) {
    const id = `b${i + 1}`;
    const gate = new DeliveryGate();
    const server = createLmtpServer(
      {
        backendId: id,
        directory: storage.directory,
        leases: storage.leases,
        mailboxes: storage.mailboxes,
        clock,
        logger: silentLogger,
        leaseTtlMs: 60_000,
      },
      {
        spoolDir: join(temp.dir, 'tmp'),
        hostname: `backend${i + 1}.test`,
        maxMessageSize: 10 * 1024 * 1024,
        closeTimeoutMs: 200,
        gate,
        secret: CHANNEL_SECRET,
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    backends.push({ id, server, address, gate });
  }
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(temp.dir, 'tmp'), { recursive: true });
  const captureDir = join(temp.dir, 'outbound');
  const channel = new LmtpChannel({ clientName: 'test', timeoutMs: 5000, secret: CHANNEL_SECRET });
  const deps: ProcessorDeps = {
    queue: storage.queue,
    messages: storage.messages,
    directory: storage.directory,
    leases: storage.leases,
    registry: storage.backends,
    channel,
    relay: opts.relay ?? new CaptureRelay(captureDir),
    clock,
    logger: silentLogger,
    schedule: SCHEDULE,
    hostname: 'mx.test',
    backendMode: 'dynamic',
    ...(opts.quickRetry ? { quickRetry: opts.quickRetry } : {}),
  };
  const stopped = new Set<string>();
  const heartbeatAll = async () => {
    for (const b of backends) {
      if (!stopped.has(b.id))
        await storage.backends.heartbeat({ id: b.id, address: b.address, kind: 'lmtp' }, 30_000);
    }
  };
  await heartbeatAll();
  return {
    ...temp,
    deps,
    backends,
    captureDir,
    async enqueue({ from, to, body, notify, ret }) {
      const id = newQueueId(clock.now());
      const text =
        body ?? `From: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: test ${id}\r\n\r\nHello ${id}\r\n`;
      const ref = await storage.messages.put(id, Readable.from([Buffer.from(text)]));
      const job: QueueJob = {
        id,
        source: 'SMTP',
        createdAt: clock.now(),
        body: ref,
        envelope: {
          mailFrom: from,
          ...(ret ? { ret } : {}),
          recipients: to.map((address) => ({
            address,
            original: address,
            state: 'pending' as const,
            attempts: 0,
            ...(notify ? { notify } : {}),
          })),
        },
        attempts: 0,
      };
      await storage.queue.enqueue([job]);
      return job;
    },
    async runOnce() {
      const [leased] = await storage.queue.receive({ max: 1, visibilitySeconds: 60 });
      if (!leased) return undefined;
      return { job: leased.job, result: await processJob(deps, leased) };
    },
    heartbeatAll,
    async stopBackend(id) {
      stopped.add(id);
      const b = backends.find((x) => x.id === id)!;
      await new Promise<void>((resolve) => b.server.close(() => resolve()));
    },
    async captured() {
      return (await readdir(captureDir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
    },
    async close() {
      await channel.close();
      for (const b of backends)
        if (!stopped.has(b.id)) await new Promise<void>((r) => b.server.close(() => r()));
      await temp.cleanup();
    },
  };
}
