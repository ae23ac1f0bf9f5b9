/**
 * A delivery made twice is stored once. Directly: the same delivery id sent twice over LMTP to a
 * real backend process (fargate/backend/main.ts). Through the cluster: a queue processor whose
 * backend stored the message but whose confirmation never arrived (an LMTP proxy keeps the reply
 * back) is SIGKILLed before it can ack; the job comes back after its visibility lease, is
 * delivered again, and the backend recognises it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { LmtpChannel } from '../../adapters/net/lmtp-channel.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { DeliveryRequest } from '../../core/ports/delivery-channel.ts';
import { newQueueId } from '../../core/util/ids.ts';
import { seedDemo } from '../../local-cluster/demo-seed.ts';
import {
  clusterChannelSecret,
  freePorts,
  PROCESS_TEST_TIMEOUT_MS,
  type RunningProcess,
  readClusterState,
  startProcess,
} from '../support/cluster.ts';
import {
  ALICE,
  BOB,
  countEvents,
  exactlyOnceProblems,
  FAST_DELIVERY_ENV,
  freeStablePorts,
  type LoggedProcess,
  readInbox,
  sendStream,
  startLogged,
  waitPidGone,
  waitQueueDrained,
} from '../support/delivery.ts';
import { LmtpProxy } from '../support/lmtp-proxy.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('the same delivery id twice over LMTP to a backend process', () => {
  it(
    'stores one copy per account, and a new id stores a new copy',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'strato-e2e-lmtp-'));
      const storage = await openEmbeddedStorage({ dataDir });
      await seedDemo(storage.directory, systemClock);
      await storage.close();
      const [port] = (await freePorts(1)) as [number];
      const backend: LoggedProcess = await startLogged(
        'fargate/backend/main.ts',
        { STRATO_DATA_DIR: dataDir, STRATO_LMTP_PORT: String(port), STRATO_BACKEND_ID: 'backend-t' },
        'backend.started',
      );
      cleanup.push(async () => {
        await backend.stop();
        await rm(dataDir, { recursive: true, force: true });
      });

      const target: BackendInfo = {
        id: 'backend-t',
        address: `127.0.0.1:${port}`,
        kind: 'lmtp',
        expiresAt: 0,
      };
      const request = (deliveryId: string, text: string): DeliveryRequest => ({
        deliveryId,
        mailFrom: 'sender@example.org',
        recipients: [ALICE, BOB],
        body: { key: deliveryId, size: text.length },
        openBody: async () => Readable.from([Buffer.from(text)]),
      });
      const id = newQueueId();
      const text = 'Subject: twice\r\n\r\nthe same delivery\r\n';
      // Twice on one pooled connection, then once more on a fresh one (a new processor).
      const secret = await clusterChannelSecret(dataDir);
      const pooled = new LmtpChannel({ clientName: 'test', timeoutMs: 5000, secret });
      const fresh = new LmtpChannel({ clientName: 'test', timeoutMs: 5000, secret });
      const outcomes = [
        await pooled.deliver(target, request(id, text)),
        await pooled.deliver(target, request(id, text)),
        await fresh.deliver(target, request(id, text)),
      ];
      for (const o of outcomes) {
        expect([...o.entries()].map(([rcpt, out]) => [rcpt, out.kind])).toEqual([
          [ALICE, 'delivered'],
          [BOB, 'delivered'],
        ]);
      }
      const other = newQueueId();
      await pooled.deliver(target, request(other, 'Subject: another\r\n\r\nanother delivery\r\n'));
      await pooled.close();
      await fresh.close();

      for (const account of [ALICE, BOB]) {
        const inbox = await readInbox(dataDir, account);
        expect(inbox.map((m) => [m.deliveryKey, m.subject])).toEqual([
          [`${id}/INBOX`, 'twice'],
          [`${other}/INBOX`, 'another'],
        ]);
        expect(inbox[0]!.body).toBe(text);
      }
      expect(countEvents(backend.logs, 'backend.stored', (l) => l.queueId === id)).toBe(2);
      expect(countEvents(backend.logs, 'backend.duplicate_skipped', (l) => l.queueId === id)).toBe(4);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('a queue processor SIGKILLed after the backend stored a message but before its ack', () => {
  it(
    'has the job delivered again after the visibility lease, stored once',
    async () => {
      // One backend, reached through a proxy that can keep its LMTP replies back; one frontend.
      const lmtpBase = await freeStablePorts(1);
      const proxy = await LmtpProxy.start(lmtpBase);
      cleanup.push(() => proxy.close());
      const cluster: RunningProcess = await startProcess({
        entry: 'cluster',
        env: {
          ...FAST_DELIVERY_ENV,
          STRATO_FRONTEND_WORKERS: '1',
          STRATO_BACKENDS: '1',
          STRATO_LMTP_BASE_PORT: String(lmtpBase),
          STRATO_BACKEND_ADDRESS: `127.0.0.1:${proxy.port}`,
        },
      });
      cleanup.push(() => cluster.stop());

      // A first message goes through normally (the account's lease is taken, the pool warm).
      const [warm] = await sendStream(cluster.ports.mx, [{ token: 'warm-up', to: [ALICE] }], {
        connections: 1,
      });
      await cluster.waitForLog((l) => l.event === 'queue.done' && l.queueId === warm!.id);

      proxy.hold();
      const held = new Promise<{ deliveryId: string | undefined }>((resolve) => proxy.once('held', resolve));
      const [victim] = await sendStream(cluster.ports.mx, [{ token: 'stored-not-acked', to: [ALICE, BOB] }], {
        connections: 1,
      });
      expect(victim?.status).toBe('accepted');
      const jobId = victim!.id!;
      expect((await held).deliveryId).toBe(jobId);
      // The backend stored it for both accounts; the processor is still waiting for the replies.
      await cluster.waitForLog(
        (l) => l.event === 'backend.stored' && l.queueId === jobId && l.account === BOB,
      );
      expect(countEvents(cluster.logs, 'backend.stored', (l) => l.queueId === jobId)).toBe(2);
      expect(countEvents(cluster.logs, 'queue.delivered', (l) => l.queueId === jobId)).toBe(0);

      const frontend = (await readClusterState(cluster.dataDir)).workers.find((w) => w.role === 'frontend')!;
      process.kill(frontend.pid, 'SIGKILL');
      await waitPidGone(frontend.pid);
      proxy.release();

      // The restarted frontend receives the job once its lease runs out and delivers it again.
      await cluster.waitForLog(
        (l) => l.event === 'queue.done' && l.queueId === jobId && l.pid !== frontend.pid,
        15_000,
      );
      await waitQueueDrained(cluster.dataDir, 5_000);
      expect(countEvents(cluster.logs, 'backend.stored', (l) => l.queueId === jobId)).toBe(2);
      expect(countEvents(cluster.logs, 'backend.duplicate_skipped', (l) => l.queueId === jobId)).toBe(2);
      expect(await exactlyOnceProblems(cluster.dataDir, [warm!, victim!], [ALICE, BOB])).toEqual([]);
      expect(
        cluster.logs.some(
          (l) =>
            l.event === 'cluster.worker_exited' && l.workerPid === frontend.pid && l.signal === 'SIGKILL',
        ),
      ).toBe(true);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
