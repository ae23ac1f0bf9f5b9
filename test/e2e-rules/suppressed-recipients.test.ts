/**
 * Suppressed addresses (SES bounces/complaints, core/ports/suppressions.ts) on a running local
 * cluster: an authenticated sender's RCPT to a suppressed external address is refused with
 * `550 5.1.1 … suppressed after a bounce (SES)` over a real submission session, other recipients
 * of the same transaction are accepted, and once the suppression is removed the address is
 * accepted again (no restart: the check reads storage at each RCPT).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/cluster.ts';
import { at, startRulesCluster, submission, withStorage } from './support.ts';

const ALICE = at('alice');
let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startRulesCluster({ STRATO_QUEUE_PROCESSING: 'false' });
  await withStorage(cluster.dataDir, (s) =>
    s.suppressions.put({ address: 'gone@example.net', reason: 'bounce', at: Date.now(), detail: '5.1.1' }),
  );
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

describe('suppressed recipients at RCPT', () => {
  it('refuses a suppressed address to an authenticated sender, and accepts it once removed', async () => {
    const s = await submission(cluster.ports.submission, ALICE, 'alice-demo-password');
    try {
      expect((await s.c.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
      expect((await s.c.command('RCPT TO:<Gone@example.net>')).last).toBe(
        '550 5.1.1 <gone@example.net>: address suppressed after a bounce (SES); ask the postmaster to remove it',
      );
      expect((await s.c.command('RCPT TO:<fine@example.net>')).code).toBe(250);
      await s.c.command('RSET');
      await withStorage(cluster.dataDir, (st) => st.suppressions.remove('gone@example.net'));
      expect((await s.c.command(`MAIL FROM:<${ALICE}>`)).code).toBe(250);
      expect((await s.c.command('RCPT TO:<gone@example.net>')).code).toBe(250);
    } finally {
      s.c.close();
    }
  });
});
