/**
 * `strato trace` on a real local cluster (one frontend worker processing the queue, one LMTP
 * backend, 1 s retries): the backend is stopped (SIGSTOP) while a message for bob arrives, so the
 * first attempt is deferred; once resumed the retry stores it. The trace by queue id, by
 * Message-ID and by recipient address tells that story with the roles that recorded each step.
 * The text output is printed to the test log (for the issue note).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import { eventually, queuedId, type RunningProcess, startProcess } from '../support/cluster.ts';
import { BOB, FAST_DELIVERY_ENV } from '../support/delivery.ts';
import { RawSmtp } from '../support/raw-smtp.ts';
import { strato } from './run-cli.ts';

let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: { ...FAST_DELIVERY_ENV, STRATO_FRONTEND_WORKERS: '1', STRATO_BACKENDS: '1' },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

async function send(port: number, messageId: string): Promise<string> {
  const c = await RawSmtp.connect(port);
  try {
    await c.read();
    for (const cmd of [
      'EHLO sender.example.org',
      'MAIL FROM:<carol@example.org>',
      `RCPT TO:<${BOB}>`,
      'DATA',
    ]) {
      const r = await c.command(cmd);
      if (r.code >= 400) throw new Error(`${cmd}: ${r.last}`);
    }
    const done = await c.command(`Message-ID: ${messageId}\r\nSubject: traced\r\n\r\nhello\r\n.`);
    const id = queuedId(done.last);
    if (!id) throw new Error(`not accepted: ${done.last}`);
    return id;
  } finally {
    c.close();
  }
}

/** The kinds of the message's recorded events, read through the embedded adapter. */
async function eventKinds(dataDir: string, queueId: string): Promise<string[]> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    return (await storage.history.story(queueId)).map((e) => e.kind);
  } finally {
    await storage.close();
  }
}

describe('strato trace on a local cluster', () => {
  it('tells accepted → deferred (with the reason) → stored in INBOX, by queue id, Message-ID and address', async () => {
    const backend = cluster.logs.findLast((l) => l.event === 'backend.started');
    const pid = backend?.pid as number;
    expect(pid).toBeGreaterThan(0);
    const messageId = `<trace-${Date.now()}@example.org>`;
    let id: string;
    process.kill(pid, 'SIGSTOP');
    try {
      id = await send(cluster.ports.mx, messageId);
      await eventually(
        async () => ((await eventKinds(cluster.dataDir, id)).includes('deferred') ? true : undefined),
        20_000,
        'a deferred attempt',
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await eventually(
      async () => ((await eventKinds(cluster.dataDir, id)).includes('done') ? true : undefined),
      20_000,
      'delivery after the backend resumed',
    );

    const byId = await strato(cluster.dataDir, ['trace', id]);
    console.log(`$ strato trace ${id}\n${byId.stdout}`);
    expect(byId.code).toBe(0);
    const lines = byId.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    const row = (event: string) => lines.find((l) => new RegExp(`\\s${event}\\s`).test(l));
    expect(byId.stdout).toContain(`Message-ID:  ${messageId}`);
    expect(byId.stdout).toMatch(/State:\s+done \(left the queue\)/);
    expect(row('accepted')).toMatch(/frontend fe-\d+@\S+\s+accepted\s+-\s+from=carol@example.org rcpts=1/);
    expect(row('deferred')).toMatch(
      new RegExp(`frontend fe-\\d+@\\S+\\s+deferred\\s+${BOB}\\s+4\\d\\d .*next attempt`),
    );
    expect(row('stored')).toMatch(
      new RegExp(`backend (backend-\\d+)\\s+stored\\s+${BOB}\\s+folder=INBOX account=${BOB} backend=\\1`),
    );
    expect(row('done')).toMatch(/frontend fe-\d+@\S+\s+done/);
    const kinds = lines.map((l) => /\s(accepted|deferred|stored|done)\s/.exec(l)?.[1]).filter(Boolean);
    expect(kinds.indexOf('accepted')).toBeLessThan(kinds.indexOf('deferred'));
    expect(kinds.indexOf('deferred')).toBeLessThan(kinds.indexOf('stored'));

    const byMessageId = await strato(cluster.dataDir, ['--json', 'trace', messageId]);
    expect(byMessageId.code).toBe(0);
    const json = JSON.parse(byMessageId.stdout) as {
      messages: { queueId: string; events: { kind: string }[] }[];
    };
    expect(json.messages.map((m) => m.queueId)).toEqual([id]);
    expect(json.messages[0]!.events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['accepted', 'deferred', 'stored', 'done']),
    );

    const byAddress = await strato(cluster.dataDir, ['trace', BOB.toUpperCase(), '--limit', '5']);
    expect(byAddress.code).toBe(0);
    expect(byAddress.stdout).toContain(`Queue id:    ${id}`);

    const queued = await strato(cluster.dataDir, ['trace', BOB, '--queued']);
    expect(queued).toMatchObject({ code: 1, stderr: `strato: no queued message with history for ${BOB}\n` });
    const unknown = await strato(cluster.dataDir, ['trace', 'nobody@example.net']);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toMatch(/no history for nobody@example.net/);
  });
});
