/**
 * "Forward to frontends" mode (STRATO_GENERATED_MAIL=smtp, the cluster model's `*` forwarding
 * server): mail the backends' rules generate is submitted over SMTP to the frontends' MX port and
 * processed there again — a second Received header, the cluster rules run on it, and it is
 * enqueued as received mail — instead of going straight to the shared queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/cluster.ts';
import { accountRules, at, send, setRules, startRulesCluster, waitCaptured, waitFolder } from './support.ts';

let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startRulesCluster({
    STRATO_GENERATED_MAIL: 'smtp',
    // The backends relay through the frontends: their address must be trusted.
    STRATO_TRUSTED_NETWORKS: '127.0.0.1/32',
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

describe('generated mail submitted to the frontends', () => {
  it('is received again: second Received header, cluster rules applied, delivered', async () => {
    const dir = cluster.dataDir;
    await setRules(dir, { kind: 'cluster' }, [
      {
        name: 'stamp',
        priority: 5,
        conditions: [{ field: 'Any Recipient', op: 'is', value: at('bob') }],
        actions: [{ action: 'add header', header: 'X-Cluster-Pass', value: 'yes' }],
      },
    ]);
    await accountRules(dir, 'alice', [
      {
        name: 'to bob',
        priority: 5,
        conditions: [{ field: 'Subject', op: 'is', value: 'redirect*' }],
        actions: [{ action: 'redirect', to: [at('bob')] }],
      },
      {
        name: 'out',
        priority: 5,
        conditions: [{ field: 'Subject', op: 'is', value: 'external*' }],
        actions: [{ action: 'redirect', to: ['alice@elsewhere.example'] }],
      },
    ]);
    expect(await send(cluster.ports.mx, { to: [at('alice')], subject: 'redirect via frontends' })).toMatch(
      /^250 /,
    );
    const [m] = await waitFolder(dir, at('bob'), 1);
    expect(m!.body.match(/^Received: /gm)).toHaveLength(2);
    expect(m!.body).toContain(`X-Strato-Loop: ${at('alice')}\r\n`);
    expect(m!.body).toContain('X-Cluster-Pass: yes\r\n');
    const generated = cluster.logs.find((l) => l.event === 'rules.generated' && l.account === at('alice'));
    expect(generated).toMatchObject({ via: 'smtp', kind: 'redirect' });

    // Relayed onwards by the frontend: the SRS return path survives the second pass.
    expect(await send(cluster.ports.mx, { to: [at('alice')], subject: 'external please' })).toMatch(/^250 /);
    const [out] = await waitCaptured(dir, (c) => c.recipients.includes('alice@elsewhere.example'));
    expect(out!.mailFrom).toMatch(/^alice\+srs0=/);
  });
});
