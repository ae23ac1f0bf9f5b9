/**
 * Application metrics of a local cluster (STRATO_METRICS=log, one-second interval): after a
 * message is taken and a recipient refused on the MX port, the frontend's `metrics` log lines
 * count the connection, the accepted message and its bytes, the refusals by class and reason,
 * and the open-sessions gauge; the queue's delivery outcome and accept→stored latency follow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type LogLine, type RunningProcess, startProcess } from '../support/cluster.ts';
import { FAST_DELIVERY_ENV } from '../support/delivery.ts';
import { RawSmtp } from '../support/raw-smtp.ts';

const ALICE = 'alice@demo.strato.test';
let cluster: RunningProcess;

beforeAll(async () => {
  cluster = await startProcess({
    entry: 'cluster',
    env: {
      ...FAST_DELIVERY_ENV,
      STRATO_FRONTEND_WORKERS: '1',
      STRATO_METRICS: 'log',
      STRATO_METRICS_INTERVAL_SECONDS: '1',
    },
  });
});

afterAll(async () => {
  const result = await cluster?.stop();
  expect(result?.code).toBe(0);
});

/** A counter summed over every `metrics` line of the given role so far. */
function total(role: string, key: string): number {
  return cluster.logs
    .filter((l: LogLine) => l.event === 'metrics' && l.role === role)
    .reduce((n, l) => n + ((l.counts as Record<string, number> | undefined)?.[key] ?? 0), 0);
}

describe('metrics in the logs of a local cluster', () => {
  it('counts an accepted message, a refused recipient and the delivery that follows', async () => {
    const c = await RawSmtp.connect(cluster.ports.mx);
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.test');
    expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250);
    expect((await c.command('RCPT TO:<nobody@demo.strato.test>')).code).toBe(550);
    expect((await c.command('RCPT TO:<someone@example.net>')).code).toBe(554);
    expect((await c.command(`RCPT TO:<${ALICE}>`)).code).toBe(250);
    expect((await c.command('DATA')).code).toBe(354);
    const body = `From: sender@example.org\r\nTo: ${ALICE}\r\nSubject: metrics\r\n\r\nhello\r\n`;
    expect((await c.command(`${body}.`)).code).toBe(250);
    await c.command('QUIT');
    c.close();

    const counted = (key: string, want: number) =>
      eventually(async () => (total('frontend', key) >= want ? true : undefined), 15_000, key);
    await counted('SmtpMessagesAccepted', 1);
    await counted('SmtpRejected{Class=5xx,Reason=unknown-user}', 1);
    await counted('SmtpRejected{Class=5xx,Reason=relay-denied}', 1);
    expect(total('frontend', 'SmtpConnections')).toBeGreaterThanOrEqual(1);
    expect(total('frontend', 'SmtpBytesAccepted')).toBeGreaterThanOrEqual(body.length);
    expect(total('frontend', 'SmtpRejected{Class=5xx,Reason=unknown-user}')).toBe(1);
    await counted('Delivery{Outcome=delivered}', 1);
    const withLatency = cluster.logs.find(
      (l) => l.event === 'metrics' && (l.timings as Record<string, unknown> | undefined)?.DeliveryLatency,
    );
    expect(withLatency?.timings).toMatchObject({ DeliveryLatency: { count: 1 } });
    // The open-sessions gauge is reported with every line once the listeners' sweep has set it.
    const last = cluster.logs.filter((l) => l.event === 'metrics' && l.role === 'frontend').at(-1);
    expect(typeof (last?.gauges as Record<string, number> | undefined)?.SmtpSessionsOpen).toBe('number');
  });
});
