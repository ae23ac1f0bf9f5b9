/**
 * The queue Lambda's dead-letter sweep, run by an EventBridge schedule on the same function (not
 * by the SQS invocations: a dead job is by definition one nobody processes any more, and on a
 * quiet queue there may be no SQS invocation for hours). One sweep per scheduled event: dead jobs
 * not yet reported are read from the queue index's dead-letters GSI (a Query), each is claimed
 * with a conditional write, logged as `queue.dead_lettered` and answered with one failed DSN
 * under a derived id (core/queue/report-dead-letters.ts), so the frontends' sweeps and several
 * overlapping scheduled invocations still report each dead job once.
 * Failure: a failing sweep throws (the invocation fails, counted on the function's Errors alarm);
 * a job whose report failed is logged and retried at a later schedule.
 */
import type { DeadLetterSource } from '../../core/ports/mail-queue.ts';
import { type DeadLetterDeps, reportDeadLetters } from '../../core/queue/report-dead-letters.ts';

/** What EventBridge sends a scheduled rule's target. */
export interface ScheduledEvent {
  readonly source: 'aws.events';
  readonly 'detail-type': 'Scheduled Event';
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  const e = event as Partial<ScheduledEvent> | null;
  return e?.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}

export interface SweepHandlerDeps extends Omit<DeadLetterDeps, 'source'> {
  readonly deadLetters: DeadLetterSource;
}

/** One sweep per call; answers the queue ids reported. The history is flushed before it returns. */
export function createDeadLetterSweepHandler(deps: SweepHandlerDeps) {
  // Ids reported by this execution environment (the GSI no longer lists them anyway).
  const reported = new Set<string>();
  return async (): Promise<{ reported: string[] }> => {
    const ids = await reportDeadLetters({ ...deps, source: deps.deadLetters }, reported);
    await deps.history?.flush();
    return { reported: ids };
  };
}
