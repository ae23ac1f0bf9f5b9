/**
 * The delivery channel is authenticated: in a real local cluster (one frontend worker, one
 * backend), a client that connects straight to the backend's LMTP port is refused a transaction
 * without AUTH (530 5.7.0) and with a wrong secret (535 5.7.8), and nothing it sent is stored;
 * the cluster's own queue processor (which has the secret) still delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlainCommand } from '../../adapters/net/lmtp-channel-auth.ts';
import { clusterChannelSecret, eventually, type RunningProcess, startProcess } from '../support/cluster.ts';
import { ALICE, FAST_DELIVERY_ENV, freeStablePorts, readInbox, sendStream } from '../support/delivery.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

let cluster: RunningProcess;
let lmtpPort: number;

beforeAll(async () => {
  lmtpPort = await freeStablePorts(1);
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_BACKENDS: '1',
      STRATO_LMTP_BASE_PORT: String(lmtpPort),
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** A raw LMTP session to the backend, greeted and past LHLO. */
async function lmtpSession(): Promise<RawSmtp> {
  const c = await RawSmtp.connect(lmtpPort);
  expect((await c.read()).code).toBe(220);
  const lhlo = await c.command('LHLO attacker.example');
  expect(lhlo.code).toBe(250);
  expect(lhlo.lines).toContain('AUTH PLAIN');
  return c;
}

/** Try a whole forged transaction; every step after the refused MAIL must be refused too. */
async function forge(c: RawSmtp, token: string) {
  const mail = await c.command('MAIL FROM:<ceo@example.org>');
  const rcpt = await c.command(`RCPT TO:<${ALICE}>`);
  const data = await c.command('DATA');
  if (data.code === 354) await c.command(`Subject: ${token}\r\n\r\nforged\r\n.`);
  return { mail, rcpt, data };
}

describe("a backend's LMTP port", () => {
  it('refuses a client without AUTH (530) and with a wrong secret (535), and stores nothing', async () => {
    const bare = await lmtpSession();
    const { mail, rcpt, data } = await forge(bare, 'forged-no-auth');
    bare.close();
    expect(mail.last).toBe('530 5.7.0 Authentication required');
    expect(rcpt.code).toBeGreaterThanOrEqual(500);
    expect(data.code).not.toBe(354);

    const wrong = await lmtpSession();
    const auth = await wrong.command(authPlainCommand('not-the-cluster-secret'));
    expect(auth.last).toBe('535 5.7.8 Authentication credentials invalid');
    expect((await forge(wrong, 'forged-wrong-secret')).mail.code).toBe(530);
    wrong.close();

    // The right secret (the cluster's, from its data dir) is accepted: the refusals are AUTH's.
    const right = await lmtpSession();
    const secret = await clusterChannelSecret(cluster.dataDir);
    expect((await right.command(authPlainCommand(secret))).code).toBe(235);
    expect((await right.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    right.close();

    // The cluster still delivers through its authenticated channel; the forgeries are nowhere.
    const [sent] = await sendStream(cluster.ports.mx, [{ token: 'lmtp-auth-legit', to: [ALICE] }]);
    expect(sent?.status).toBe('accepted');
    const inbox = await eventually(
      async () => {
        const messages = await readInbox(cluster.dataDir, ALICE);
        return messages.some((m) => m.subject === 'lmtp-auth-legit') ? messages : undefined;
      },
      20_000,
      'the legitimate message stored',
    );
    expect(inbox.map((m) => m.subject).filter((s) => s.startsWith('forged'))).toEqual([]);
  });
});
