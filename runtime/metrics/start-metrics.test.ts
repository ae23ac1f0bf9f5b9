import { afterEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../core/ports/logger.ts';
import { silentLogger } from '../../core/ports/logger.ts';
import { noMetrics } from '../../core/ports/metrics.ts';
import { installMetrics, metrics } from '../../core/util/metrics.ts';
import { EMF_MAX_VALUES, type EmfDocument } from './emf.ts';
import { startMetrics } from './start-metrics.ts';

const config = (mode: 'emf' | 'log' | 'off') => ({
  mode,
  intervalSeconds: 3600,
  stage: 'prod',
  service: 'frontend',
});

function capture() {
  const lines: LogFields[] = [];
  const logger: Logger = { ...silentLogger, info: (f) => void lines.push(f), child: () => logger };
  return { lines, logger };
}

afterEach(() => installMetrics(noMetrics));

/** The EMF specification's required members, checked on every document. */
function expectValidEmf(doc: EmfDocument) {
  expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
  expect(doc._aws.CloudWatchMetrics.length).toBeGreaterThan(0);
  for (const d of doc._aws.CloudWatchMetrics) {
    expect(d.Namespace).toBe('Strato');
    for (const set of d.Dimensions) {
      expect(set.length).toBeLessThanOrEqual(30);
      for (const k of set) expect(typeof doc[k]).toBe('string');
    }
    for (const m of d.Metrics) {
      const v = doc[m.Name];
      expect(typeof v === 'number' || (Array.isArray(v) && v.length <= EMF_MAX_VALUES)).toBe(true);
    }
  }
}

describe('EMF metrics adapter', () => {
  it('writes one valid EMF document per series with the process and metric dimensions', () => {
    const out: string[] = [];
    const h = startMetrics({
      config: config('emf'),
      role: 'x',
      logger: silentLogger,
      write: (l) => void out.push(l),
      now: () => 1_700_000_000_000,
    });
    metrics.count('SmtpRejected', { Class: '5xx', Reason: 'unknown-user' });
    metrics.count('SmtpRejected', { Class: '5xx', Reason: 'unknown-user' });
    metrics.count('SmtpBytesAccepted', {}, 1234);
    metrics.gauge('SmtpSessionsOpen', 7);
    metrics.timing('DeliveryLatency', 40);
    metrics.timing('DeliveryLatency', 60);
    h.flush();
    const docs = out.map((l) => JSON.parse(l) as EmfDocument);
    for (const d of docs) expectValidEmf(d);
    const rejected = docs.find((d) => 'SmtpRejected' in d);
    expect(rejected).toMatchObject({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Strato',
            Dimensions: [
              ['Stage', 'Class', 'Reason'],
              ['Stage', 'Service', 'Class', 'Reason'],
              ['Stage', 'Class'],
              ['Stage', 'Reason'],
            ],
            Metrics: [{ Name: 'SmtpRejected', Unit: 'Count' }],
          },
        ],
      },
      Stage: 'prod',
      Service: 'frontend',
      Class: '5xx',
      Reason: 'unknown-user',
      SmtpRejected: 2,
    });
    expect(docs.find((d) => 'SmtpBytesAccepted' in d)).toMatchObject({ SmtpBytesAccepted: 1234 });
    expect(docs.find((d) => 'SmtpBytesAccepted' in d)?._aws.CloudWatchMetrics[0]?.Metrics[0]?.Unit).toBe(
      'Bytes',
    );
    expect(docs.find((d) => 'DeliveryLatency' in d)).toMatchObject({ DeliveryLatency: [40, 60] });
    expect(docs.find((d) => 'SmtpSessionsOpen' in d)?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['Stage'],
      ['Stage', 'Service'],
    ]);
  });

  it('clears counters each interval, repeats gauges, splits long sample arrays', () => {
    const out: string[] = [];
    const h = startMetrics({
      config: config('emf'),
      role: 'x',
      logger: silentLogger,
      write: (l) => void out.push(l),
    });
    metrics.count('SmtpConnections');
    metrics.gauge('SmtpSessionsOpen', 3);
    for (let i = 0; i < 150; i++) metrics.timing('QueueAge', i);
    h.flush();
    const first = out.splice(0).map((l) => JSON.parse(l) as EmfDocument);
    expect(first.filter((d) => 'QueueAge' in d).map((d) => (d.QueueAge as number[]).length)).toEqual([
      100, 50,
    ]);
    h.stop();
    const second = out.map((l) => JSON.parse(l) as EmfDocument);
    expect(second.map((d) => Object.keys(d).filter((k) => /^[A-Z][a-z]+[A-Z]/.test(k)))).toEqual([
      ['SmtpSessionsOpen'],
    ]);
    expect(second[0]).toMatchObject({ SmtpSessionsOpen: 3 });
  });

  it('fills a missing dimension with "none" and drops unknown keys (no per-address dimension)', () => {
    const out: string[] = [];
    const h = startMetrics({
      config: config('emf'),
      role: 'x',
      logger: silentLogger,
      write: (l) => void out.push(l),
    });
    metrics.count('Delivery', { rcpt: 'alice@example.com' } as never);
    h.flush();
    const doc = JSON.parse(out[0] ?? '{}') as EmfDocument;
    expect(doc.Outcome).toBe('none');
    expect(JSON.stringify(doc)).not.toContain('alice');
  });
});

describe('log metrics adapter', () => {
  it('logs one metrics line per interval with events, none without', () => {
    const { lines, logger } = capture();
    const h = startMetrics({ config: config('log'), role: 'frontend', logger });
    h.flush();
    expect(lines).toEqual([]);
    metrics.count('SmtpMessagesAccepted');
    metrics.count('SmtpRejected', { Class: '5xx', Reason: 'relay-denied' });
    metrics.gauge('SmtpSessionsOpen', 2);
    metrics.timing('DeliveryLatency', 10);
    metrics.timing('DeliveryLatency', 30);
    h.stop();
    expect(lines).toEqual([
      {
        event: 'metrics',
        intervalSeconds: 3600,
        counts: { SmtpMessagesAccepted: 1, 'SmtpRejected{Class=5xx,Reason=relay-denied}': 1 },
        gauges: { SmtpSessionsOpen: 2 },
        timings: { DeliveryLatency: { count: 2, avg: 20, max: 30 } },
      },
    ]);
  });

  it('off records nothing', () => {
    const { lines, logger } = capture();
    const h = startMetrics({ config: config('off'), role: 'frontend', logger });
    metrics.count('SmtpConnections');
    h.stop();
    expect(lines).toEqual([]);
  });
});
