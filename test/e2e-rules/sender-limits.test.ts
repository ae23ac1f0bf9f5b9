/**
 * Sender limits for authenticated senders on the frontends of a running local cluster (two
 * frontend workers sharing the ports; queue processing off, nothing needs delivering): MailOutFlow
 * is one cluster-wide count — sessions on both workers together get exactly the limit, then 452
 * 4.7.1 naming it — and MaxMailOutSize refuses at MAIL FROM (SIZE=) and at the end of DATA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/cluster.ts';
import {
  at,
  messageText,
  onTwoWorkers,
  startRulesCluster,
  submission,
  withStorage,
  workerOf,
} from './support.ts';

const ALICE = at('alice');
const BOB = at('bob');
let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startRulesCluster({ STRATO_QUEUE_PROCESSING: 'false', STRATO_FRONTEND_WORKERS: '2' });
  await withStorage(cluster.dataDir, async (s) => {
    await s.directory.updateAccountSettings(ALICE, { MailOutFlow: [3, 3600] });
    await s.directory.updateAccountSettings(BOB, { MaxMailOutSize: 1024 });
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

type Session = Awaited<ReturnType<typeof submission>>;

async function transaction(s: Session, from: string, size?: number, body = 'hello'): Promise<string> {
  const mail = await s.c.command(`MAIL FROM:<${from}>${size !== undefined ? ` SIZE=${size}` : ''}`);
  if (mail.code !== 250) {
    await s.c.command('RSET');
    return mail.last;
  }
  await s.c.command('RCPT TO:<someone@example.net>');
  await s.c.command('DATA');
  const done = await s.c.command(
    `${messageText({ from, to: ['someone@example.net'], subject: 'limits', body })}.`,
  );
  if (done.code !== 250) await s.c.command('RSET');
  return done.last;
}

describe('MailOutFlow', () => {
  it('is counted once per accepted message across both frontend workers', async () => {
    const [a, b] = await onTwoWorkers(() =>
      submission(cluster.ports.submission, ALICE, 'alice-demo-password'),
    );
    try {
      expect(workerOf(a.greeting)).not.toBe(workerOf(b.greeting));
      const replies = [
        await transaction(a, ALICE),
        await transaction(b, ALICE),
        await transaction(a, ALICE),
        await transaction(b, ALICE),
        await transaction(a, ALICE),
      ];
      expect(replies.slice(0, 3).every((r) => r.startsWith('250 2.0.0 Ok: queued as '))).toBe(true);
      const limit = `452 4.7.1 <${ALICE}>: MailOutFlow limit of 3 messages per 3600 seconds reached, try again later`;
      // A full window is refused at MAIL FROM already, on either worker.
      expect(replies.slice(3)).toEqual([limit, limit]);
      expect(await withStorage(cluster.dataDir, async (s) => (await s.queue.list()).length)).toBe(3);
    } finally {
      a.c.close();
      b.c.close();
    }
  });
});

describe('MaxMailOutSize', () => {
  it('refuses a declared SIZE at MAIL FROM and an oversized message at the end of DATA', async () => {
    const s = await submission(cluster.ports.submission, BOB, 'bob-demo-password');
    try {
      const limit = `552 5.3.4 <${BOB}>: message size exceeds the sender's MaxMailOutSize of 1024 bytes`;
      expect(await transaction(s, BOB, 5000)).toBe(limit);
      expect(await transaction(s, BOB, undefined, 'x'.repeat(2000))).toBe(limit);
      expect(await transaction(s, BOB, 300)).toMatch(/^250 2\.0\.0 /);
    } finally {
      s.c.close();
    }
  });
});
