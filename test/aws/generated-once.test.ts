/**
 * Generated mail is processed once and sent once on SQS, in both modes: the same delivery id is
 * invoked twice through the Lambda delivery channel (a backend that stored the message but whose
 * answer was lost), before and after the generated copy was processed. Queue mode: the backend
 * (AWS adapters in-process) runs the cluster rules on the generated job and enqueues it under its
 * derived id; forward mode: it submits it with XGENID to the internal SMTP listener of a frontend
 * process on the same emulator resources (STRATO_STORAGE=aws), which runs the cluster rules and
 * enqueues it under that id. Either way the queue index's claim lets exactly one job reach SQS.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LambdaChannel } from '../../adapters/aws/lambda-channel.ts';
import { TEST_CREDENTIALS } from '../../adapters/aws/testing/emulators.ts';
import { type InvokeServer, startInvokeServer } from '../../adapters/aws/testing/lambda-invoke-server.ts';
import { seedDomain } from '../../adapters/contract/helpers.ts';
import { parseBackendConfig } from '../../core/config/backend-config.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import type { LeasedJob } from '../../core/ports/mail-queue.ts';
import type { Rule } from '../../core/rules/index.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { createBackendHandler } from '../../lambdas/backend/handler-core.ts';
import { buildDeliverDeps } from '../../runtime/deliver-deps.ts';
import { freePorts, PROCESS_TEST_TIMEOUT_MS, type RunningProcess, startProcess } from '../support/cluster.ts';
import { type AwsMode, createAwsMode } from './aws-mode.ts';

const e = inject('emulators');
const DOMAIN = 'example.com';
const ALICE = `alice@${DOMAIN}`;
const OUTSIDE = 'carol@elsewhere.example';
let aws: AwsMode;
let invoke: InvokeServer;
let frontend: RunningProcess;
let channel: LambdaChannel;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  aws = await createAwsMode();
  const s = aws.storage;
  await seedDomain(s.directory, DOMAIN, []);
  await s.directory.addAccount({ address: ALICE, domain: DOMAIN, name: 'alice', settings: {}, createdAt: 0 });
  await s.rules.set({ kind: 'cluster' }, [
    {
      name: 'stamp outgoing',
      priority: 5,
      conditions: [{ field: 'Any Recipient', op: 'is', value: OUTSIDE }],
      actions: [{ action: 'add header', header: 'X-Cluster-Pass', value: 'yes' }],
    },
  ] as unknown as Rule[]);
  await s.rules.set({ kind: 'account', address: ALICE }, [
    {
      name: 'to carol',
      priority: 5,
      conditions: [{ field: 'Subject', op: 'is', value: 'twice*' }],
      actions: [{ action: 'redirect', to: [OUTSIDE] }],
    },
  ] as unknown as Rule[]);
  // The deployed shape: the backends submit to the frontend's internal listener.
  const [internal] = (await freePorts(1)) as [number];
  frontend = await startProcess({
    entry: 'frontend',
    env: {
      ...aws.env,
      STRATO_TRUSTED_NETWORKS: '127.0.0.1/32',
      STRATO_INTERNAL_SMTP_PORT: String(internal),
      STRATO_QUEUE_PROCESSING: 'false',
    },
  });
  invoke = await startInvokeServer();
  for (const mode of ['queue', 'smtp'] as const) {
    const config = parseBackendConfig({
      // One owner for both (as every backend Lambda is today), so alice's lease does not move.
      STRATO_BACKEND_ID: 'lambda',
      STRATO_HOSTNAME: 'mx.example.com',
      STRATO_GENERATED_MAIL: mode,
      STRATO_GENERATED_SMTP_HOST: '127.0.0.1',
      STRATO_GENERATED_SMTP_PORT: String(internal),
    });
    const deps = buildDeliverDeps(s, config, {
      clock: systemClock,
      logger: silentLogger,
      srsSecret: 'aws-generated-once-srs-secret-0123',
    });
    closers.push(() => deps.close());
    const handler = createBackendHandler({ ...deps, messages: s.messages });
    invoke.register(`backend-${mode}`, handler as (event: unknown) => Promise<unknown>);
  }
  const lambda = new LambdaClient({
    region: e.region,
    endpoint: invoke.endpoint,
    credentials: TEST_CREDENTIALS,
  });
  channel = new LambdaChannel(lambda);
}, PROCESS_TEST_TIMEOUT_MS);

afterAll(async () => {
  for (const close of closers) await close();
  await invoke?.close();
  await frontend?.stop();
  await aws?.storage.close();
});

/** Invoke the backend with one delivery id, as the queue processor would. */
async function deliver(mode: 'queue' | 'smtp', deliveryId: string, subject: string) {
  const raw = `From: <sender@remote.example>\r\nTo: <${ALICE}>\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
  const body = await aws.storage.messages.put(deliveryId, Readable.from([Buffer.from(raw)]));
  const backend: BackendInfo = {
    id: `backend-${mode}`,
    address: `backend-${mode}`,
    kind: 'lambda',
    expiresAt: 0,
  };
  const out = await channel.deliver(backend, {
    deliveryId,
    mailFrom: 'sender@remote.example',
    recipients: [ALICE],
    body,
    openBody: () => aws.storage.messages.open(body),
  });
  expect(out.get(ALICE)?.kind).toBe('delivered');
}

/** Receive every job SQS hands out within a short wait, ack them, and say which went to carol. */
async function drainToCarol(): Promise<LeasedJob[]> {
  const got: LeasedJob[] = [];
  for (let i = 0; i < 3; i++) {
    const batch = await aws.storage.queue.receive({ max: 10, visibilitySeconds: 30, waitMs: 500 });
    got.push(...batch);
  }
  for (const l of got) await aws.storage.queue.ack(l.receipt);
  return got.filter((l) => l.job.envelope.recipients.some((r) => r.address === OUTSIDE));
}

describe.each([
  ['queue', 0],
  ['smtp', 1],
] as const)('generated mail on SQS, %s mode', (mode, receivedHeaders) => {
  it(
    'is enqueued once and passes the cluster rules once when a delivery is repeated',
    async () => {
      const id = newQueueId();
      const subject = `twice via ${mode}`;
      await deliver(mode, id, subject);
      await deliver(mode, id, subject);
      const first = await drainToCarol();
      expect(first).toHaveLength(1);
      const job = first[0]!.job;
      expect(job.source).toBe('RULE');
      const bytes = await text(await aws.storage.messages.open(job.body));
      expect(bytes).toContain(`Subject: ${subject}`);
      expect(bytes.match(/^X-Cluster-Pass: yes\r$/gm)).toHaveLength(1);
      expect(bytes.match(/^Received: /gm) ?? []).toHaveLength(receivedHeaders);
      // Once more after the copy was processed (acked): the index remembers the id.
      await deliver(mode, id, subject);
      expect(await drainToCarol()).toEqual([]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
