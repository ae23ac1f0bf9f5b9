/**
 * The per-task session cap (STRATO_MAX_CLIENTS, smtp-server's maxClients) on a real frontend:
 * with a cap of 1, a second session on the MX port is answered 421 4.3.2 naming the cap and
 * closed, the submission listener still takes its own session (the cap is per listener), and
 * the refusal is counted in the metrics (SmtpRejected, 4xx, limits).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type RunningProcess, startProcess } from '../support/cluster.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

let cluster: RunningProcess;

/** Session-cap refusals counted in the frontend's metrics lines so far. */
const refusalsLogged = () =>
  cluster.logs
    .filter((l) => l.event === 'metrics')
    .reduce(
      (n, l) => n + ((l.counts as Record<string, number>)['SmtpRejected{Class=4xx,Reason=limits}'] ?? 0),
      0,
    );

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_MAX_CLIENTS: '1',
      STRATO_METRICS: 'log',
      STRATO_METRICS_INTERVAL_SECONDS: '1',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

describe('session cap per listener', () => {
  it('answers the session past the cap 421 4.3.2 and counts it; other listeners keep their own cap', async () => {
    // The start-up port probe's connection may still be counted for a moment: wait until the
    // listener is free, counting the refusals seen on the way (each is in the metrics too; the
    // start-up probes may have been refused as well, so the metrics count at least these).
    let refused = 0;
    const first = await eventually(
      async () => {
        const c = await RawSmtp.connect(cluster.ports.mx);
        if ((await c.read()).code === 220) return c;
        refused++;
        c.close();
        return undefined;
      },
      10_000,
      'a first session',
    );
    const second = await RawSmtp.connect(cluster.ports.mx);
    expect((await second.read()).last).toBe(
      '421 4.3.2 Too many connected clients on this server (limit 1), try again in a moment',
    );
    refused++;
    await eventually(async () => (second.closed ? true : undefined), 5000, 'the refused session closed');
    const submission = await RawSmtp.connect(cluster.ports.submission);
    expect((await submission.read()).code).toBe(220);
    submission.close();
    first.close();
    await eventually(
      async () => (refusalsLogged() >= refused ? true : undefined),
      10_000,
      'the refusals counted',
    );
  });
});
