/**
 * The "log" metrics adapter's line for one interval (local runs): `{ event: "metrics", counts,
 * timings, gauges }`, each keyed by the metric name with its dimension values in braces, e.g.
 * `SmtpRejected{Class=5xx,Reason=unknown-user}`: the same events EMF would publish, readable
 * in the process log.
 */

import { METRIC_CATALOGUE } from '../../core/ports/metrics.ts';
import type { Series } from './aggregate.ts';

export function seriesKey(s: Pick<Series, 'name' | 'dimensions'>): string {
  const dims = Object.entries(s.dimensions).map(([k, v]) => `${k}=${v}`);
  return dims.length === 0 ? s.name : `${s.name}{${dims.join(',')}}`;
}

export interface MetricsLine {
  readonly counts: Record<string, number>;
  readonly gauges: Record<string, number>;
  readonly timings: Record<string, { count: number; avg: number; max: number }>;
}

export function metricsLine(series: readonly Series[]): MetricsLine {
  const line: MetricsLine = { counts: {}, gauges: {}, timings: {} };
  for (const s of series) {
    const k = seriesKey(s);
    const kind = METRIC_CATALOGUE[s.name].kind;
    if (kind === 'count') line.counts[k] = s.values[0] ?? 0;
    else if (kind === 'gauge') line.gauges[k] = s.values[0] ?? 0;
    else {
      const sum = s.values.reduce((a, b) => a + b, 0);
      const avg = s.values.length ? Math.round(sum / s.values.length) : 0;
      line.timings[k] = { count: s.values.length, avg, max: Math.max(0, ...s.values) };
    }
  }
  return line;
}
