/**
 * Metrics config, read by every process (frontends, backends, the Lambdas): which adapter
 * records (STRATO_METRICS=emf|log|off), how often it flushes, and the Stage and Service
 * dimensions it adds to every metric (the CDK sets them; a local run is stage "local" and its
 * role as service). An invalid value stops the process with every problem listed.
 */
import { z } from 'zod';
import { DEFAULT_METRICS, METRICS_MODES } from './defaults.ts';
import { ENV } from './env-names.ts';
import { type Env, parseRoleConfig, positiveInt } from './parse.ts';

const dimensionValue = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits and ._:- (at most 64)');

const schema = z.object({
  mode: z.enum(METRICS_MODES).default(DEFAULT_METRICS.mode),
  intervalSeconds: positiveInt.default(DEFAULT_METRICS.intervalSeconds),
  stage: dimensionValue.default(DEFAULT_METRICS.stage),
  service: dimensionValue.optional(),
});

export type MetricsConfig = z.output<typeof schema>;

const names = {
  mode: ENV.metrics,
  intervalSeconds: ENV.metricsIntervalSeconds,
  stage: ENV.metricsStage,
  service: ENV.metricsService,
} as const;

export const METRICS_ENV_NAMES: readonly string[] = Object.values(names);

export function parseMetricsConfig(env: Env): MetricsConfig {
  return parseRoleConfig('metrics', schema, names, env);
}
