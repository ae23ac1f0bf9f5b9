/**
 * Variables shared by several role constructs (values from the stage config, names from
 * core/config/env-names.ts).
 */
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';

/** SQS's longest receive wait. */
export const SQS_LONG_POLL_MS = 20_000;

export function queueProcessingEnvironment(config: StageConfig, enabled: boolean): Record<string, string> {
  return {
    [ENV.queueProcessing]: String(enabled),
    // With the queue Lambda, frontends have no relay or backend grants: no setting may switch them on.
    [ENV.queueProcessingAllowed]: String(config.queue.processing === 'frontends' || enabled),
    [ENV.queueConcurrency]: String(config.queue.concurrency),
    [ENV.queueVisibilitySeconds]: String(config.queue.visibilitySeconds),
    // SQS long polling: an idle processor asks once every 20 s, not every second.
    [ENV.queuePollWaitMs]: String(SQS_LONG_POLL_MS),
    // Backends are found in the registry (Fargate) or are one fixed Lambda (STRATO_BACKEND_FUNCTION);
    // a static cluster pins accounts over the registered (slot) ids and never fails over.
    [ENV.backendMode]: config.cluster,
  };
}

/** The Service dimension of each role's metrics (autoscaling and alarms name the same values). */
export const METRICS_SERVICE = {
  frontend: 'frontend',
  intakeFrontend: 'frontend-intake',
  backend: 'backend',
  queueLambda: 'queue-lambda',
  backendLambda: 'backend-lambda',
} as const;

/** CloudWatch embedded metric format on every role, with the stage and service as dimensions. */
export function metricsEnvironment(config: StageConfig, service: string): Record<string, string> {
  return { [ENV.metrics]: 'emf', [ENV.metricsStage]: config.stage, [ENV.metricsService]: service };
}
