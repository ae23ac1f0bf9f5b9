import { afterEach, describe, expect, it } from 'vitest';
import type { RecipientOutcome } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import { type Dimensions, noMetrics } from '../ports/metrics.ts';
import { installMetrics } from '../util/metrics.ts';
import { countLocal, countRelay, recordQueueAge } from './queue-metrics.ts';

type Recorded = [string, Dimensions | undefined, number];

function record(): Recorded[] {
  const seen: Recorded[] = [];
  installMetrics({
    count: (name, dims, value = 1) => void seen.push([name, dims, value]),
    gauge: (name, value, dims) => void seen.push([name, dims, value]),
    timing: (name, value, dims) => void seen.push([name, dims, value]),
  });
  return seen;
}

afterEach(() => installMetrics(noMetrics));

const job = { id: 'Q1', createdAt: 1_000 } as QueueJob;
const clock = { now: () => 1_250 };
const outcomes = new Map<string, RecipientOutcome>([
  ['a@x', { kind: 'delivered', reply: replies.delivered() }],
  ['b@x', { kind: 'temporary', reply: replies.localError() }],
  ['c@x', { kind: 'permanent', reply: replies.unknownUser('c@x') }],
]);

describe('queue metrics', () => {
  it('counts local outcomes and the accept→stored latency of each stored recipient, passing the outcomes on', () => {
    const seen = record();
    expect(countLocal(clock, job)(outcomes)).toBe(outcomes);
    expect(seen).toEqual([
      ['Delivery', { Outcome: 'delivered' }, 1],
      ['DeliveryLatency', undefined, 250],
      ['Delivery', { Outcome: 'deferred' }, 1],
      ['Delivery', { Outcome: 'bounced' }, 1],
    ]);
  });

  it('counts relay outcomes, and a job’s age in seconds', () => {
    const seen = record();
    countRelay(outcomes);
    recordQueueAge(job, 4_000);
    expect(seen).toEqual([
      ['Relay', { Outcome: 'delivered' }, 1],
      ['Relay', { Outcome: 'deferred' }, 1],
      ['Relay', { Outcome: 'bounced' }, 1],
      ['QueueAge', undefined, 3],
    ]);
  });
});
