/**
 * The queue's metrics (README "Metrics and alarms"): Delivery and Relay outcomes per recipient
 * (delivered, deferred, bounced), accept→stored latency of local deliveries, and a job's age
 * when a processor takes it. Each helper passes its input through, so an attempt's code stays
 * one `.then(...)` longer. Recording cannot fail (core/util/metrics.ts).
 */
import type { RecipientOutcome } from '../mail/outcome.ts';
import type { Clock } from '../ports/clock.ts';
import type { QueueJob } from '../ports/mail-queue.ts';
import { metrics } from '../util/metrics.ts';

type Outcomes = ReadonlyMap<string, RecipientOutcome>;

const label = (o: RecipientOutcome) =>
  o.kind === 'delivered' ? 'delivered' : o.kind === 'permanent' ? 'bounced' : 'deferred';

/** Count local deliveries by outcome, and the latency from intake to the mailbox of each stored one. */
export const countLocal =
  (clock: Clock, job: QueueJob) =>
  <T extends Outcomes>(outcomes: T): T => {
    const latency = clock.now() - job.createdAt;
    for (const o of outcomes.values()) {
      metrics.count('Delivery', { Outcome: label(o) });
      if (o.kind === 'delivered') metrics.timing('DeliveryLatency', latency);
    }
    return outcomes;
  };

/** Count relayed recipients by outcome. */
export const countRelay = <T extends Outcomes>(outcomes: T): T => {
  for (const o of outcomes.values()) metrics.count('Relay', { Outcome: label(o) });
  return outcomes;
};

/** A job's age (seconds since intake) as a processor takes it. */
export function recordQueueAge(job: QueueJob, now: number): void {
  metrics.timing('QueueAge', Math.max(0, (now - job.createdAt) / 1000));
}
