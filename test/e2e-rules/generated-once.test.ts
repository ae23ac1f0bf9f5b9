/**
 * Generated mail is processed once and sent once, in both modes, on a real local cluster (SQLite):
 * the same delivery id is delivered twice over LMTP to the one backend, as a queue processor does
 * when the backend stored the message but its answer was lost (the job comes back and is
 * delivered again, the account's Redirect runs again). The redirected copy leaves the cluster
 * exactly once — also when the second delivery comes after the first copy was already relayed —
 * and carries the cluster rule's header exactly once: in queue mode the backend runs the cluster
 * rules on it before enqueueing, in forward mode the frontend runs them at intake.
 */
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LmtpChannel } from '../../adapters/net/lmtp-channel.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import { newQueueId } from '../../core/util/ids.ts';
import {
  clusterChannelSecret,
  eventually,
  freeStablePorts,
  PROCESS_TEST_TIMEOUT_MS,
  type RunningProcess,
} from '../support/cluster.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import {
  accountRules,
  at,
  captured,
  setRules,
  startRulesCluster,
  waitCaptured,
  waitDrained,
} from './support.ts';

const OUTSIDE = 'carol@elsewhere.example';
const running: RunningProcess[] = [];

afterAll(async () => {
  for (const c of running) await c.stop();
});

async function startCluster(env: Record<string, string>) {
  const lmtpBase = await freeStablePorts(1);
  const cluster = await startRulesCluster({
    STRATO_FRONTEND_WORKERS: '1',
    STRATO_BACKENDS: '1',
    STRATO_LMTP_BASE_PORT: String(lmtpBase),
    ...env,
  });
  running.push(cluster);
  const dir = cluster.dataDir;
  await setRules(dir, { kind: 'cluster' }, [
    {
      name: 'stamp outgoing',
      priority: 5,
      conditions: [{ field: 'Any Recipient', op: 'is', value: OUTSIDE }],
      actions: [{ action: 'add header', header: 'X-Cluster-Pass', value: 'yes' }],
    },
  ]);
  await accountRules(dir, 'alice', [
    {
      name: 'to carol',
      priority: 5,
      conditions: [{ field: 'Subject', op: 'is', value: 'twice*' }],
      actions: [{ action: 'redirect', to: [OUTSIDE] }],
    },
  ]);
  const backend: BackendInfo = { id: 'b', address: `127.0.0.1:${lmtpBase}`, kind: 'lmtp', expiresAt: 0 };
  return { cluster, backend };
}

/** Deliver one delivery id to alice over LMTP, as the queue processor would. */
async function deliverToAlice(
  cluster: RunningProcess,
  backend: BackendInfo,
  deliveryId: string,
  subject: string,
) {
  const text = `From: <sender@example.org>\r\nTo: <${at('alice')}>\r\nSubject: ${subject}\r\n\r\nhello\r\n`;
  const secret = await clusterChannelSecret(cluster.dataDir);
  const channel = new LmtpChannel({ clientName: 'test', timeoutMs: 10_000, secret });
  try {
    const out = await channel.deliver(backend, {
      deliveryId,
      mailFrom: 'sender@example.org',
      recipients: [at('alice')],
      body: { key: deliveryId, size: text.length },
      openBody: async () => Readable.from([Buffer.from(text)]),
    });
    expect(out.get(at('alice'))?.kind).toBe('delivered');
  } finally {
    await channel.close();
  }
}

async function expectSentOnce(cluster: RunningProcess, backend: BackendInfo, subject: string) {
  const dir = cluster.dataDir;
  const id = newQueueId();
  const toCarol = (c: { recipients: readonly string[]; body: string }) =>
    c.recipients.includes(OUTSIDE) && c.body.includes(`Subject: ${subject}`);
  // Twice while the first copy may still be queued, once more after it was relayed.
  await deliverToAlice(cluster, backend, id, subject);
  await deliverToAlice(cluster, backend, id, subject);
  const [first] = await waitCaptured(dir, toCarol);
  await waitDrained(dir);
  await deliverToAlice(cluster, backend, id, subject);
  await waitDrained(dir);
  const copies = (await captured(dir)).filter(toCarol);
  expect(copies).toHaveLength(1);
  expect(first!.body.match(/^X-Cluster-Pass: yes\r$/gm)).toHaveLength(1);
  expect(first!.body.match(/^X-Strato-Loop: /gm)).toHaveLength(1);
  return first!;
}

/** The backend's `rules.generated` lines for `via`, once there are the three deliveries' worth. */
async function generatedLines(cluster: { logs: readonly Record<string, unknown>[] }, via: string) {
  const lines = () => cluster.logs.filter((l) => l.event === 'rules.generated' && l.via === via);
  return eventually(
    async () => (lines().length >= 3 ? lines() : undefined),
    10_000,
    `three rules.generated lines (via ${via})`,
  );
}

describe('generated mail in queue mode (remote queue processing)', () => {
  it(
    'passes the cluster rules once and is sent once when a delivery is repeated',
    async () => {
      const { cluster, backend } = await startCluster({ STRATO_GENERATED_MAIL: 'queue' });
      const out = await expectSentOnce(cluster, backend, 'twice via the queue');
      // Enqueued by the backend itself: no frontend received it.
      expect(out.body.match(/^Received: /gm)).toBeNull();
      // Log lines reach us a moment after the deliveries they describe: wait for all three.
      const generated = await generatedLines(cluster, 'queue');
      expect(new Set(generated.map((l) => l.id)).size).toBe(1);

      // The backends' parameter is refused to clients outside the trusted networks.
      const c = await RawSmtp.connect(cluster.ports.mx);
      try {
        await c.read();
        await c.command('EHLO client.example.org');
        const mail = await c.command(`MAIL FROM:<x@example.org> XGENID=${newQueueId()}`);
        expect(mail.last).toMatch(/^555 5\.5\.4 XGENID is accepted from trusted networks only/);
      } finally {
        c.close();
      }
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('generated mail in forward mode (submitted to the frontends, "*")', () => {
  it(
    'passes the cluster rules once at the frontend and is sent once when a delivery is repeated',
    async () => {
      const { cluster, backend } = await startCluster({
        STRATO_GENERATED_MAIL: 'smtp',
        STRATO_TRUSTED_NETWORKS: '127.0.0.1/32',
      });
      const out = await expectSentOnce(cluster, backend, 'twice via the frontends');
      // Received once, by the frontend the backend submitted it to.
      expect(out.body.match(/^Received: /gm)).toHaveLength(1);
      const generated = await generatedLines(cluster, 'smtp');
      const ids = new Set(generated.map((l) => l.id));
      expect(ids.size).toBe(1);
      // Every submission was answered 250 under the derived id; one job was made of them.
      const accepted = () =>
        cluster.logs.filter((l) => l.event === 'smtp.accepted' && ids.has(l.queueId as string)).length;
      await eventually(
        async () => (accepted() >= generated.length ? true : undefined),
        10_000,
        'an smtp.accepted line per submission',
      );
      expect(accepted()).toBe(generated.length);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
