/**
 * CloudWatch embedded metric format (EMF) documents for one interval's series: one JSON line per
 * series, which CloudWatch Logs turns into metrics (the Fargate awslogs driver and the Lambda log
 * stream both carry stdout there). Written by hand rather than with Powertools Metrics, whose
 * instance holds one dimension set for a Lambda invocation: a long-running frontend records many
 * dimension values per interval. Each metric is published under [Stage, ...own keys],
 * [Stage, Service, ...own keys] and, for two or more own keys, [Stage, key] per key (so an alarm
 * can watch the 5xx class across every reason). A timing's samples go as a value array, at most
 * 100 per document (the EMF limit).
 */
import { METRIC_CATALOGUE, METRICS_NAMESPACE } from '../../core/ports/metrics.ts';
import type { Series } from './aggregate.ts';

/** The dimensions every metric of a process carries. */
export interface ProcessDimensions {
  readonly Stage: string;
  readonly Service: string;
}

/** EMF allows at most 100 values in one metric's array. */
export const EMF_MAX_VALUES = 100;

export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

/** The dimension sets a metric is published under (see the module comment). */
export function dimensionSets(own: readonly string[]): string[][] {
  const sets = [
    ['Stage', ...own],
    ['Stage', 'Service', ...own],
  ];
  if (own.length > 1) for (const k of own) sets.push(['Stage', k]);
  return sets;
}

function chunks(values: readonly number[]): (readonly number[])[] {
  const out: (readonly number[])[] = [];
  for (let i = 0; i < values.length; i += EMF_MAX_VALUES) out.push(values.slice(i, i + EMF_MAX_VALUES));
  return out;
}

/** The EMF documents of one interval, stamped `timestamp` (ms since the epoch). */
export function emfDocuments(series: readonly Series[], process: ProcessDimensions, timestamp: number) {
  const docs: EmfDocument[] = [];
  for (const s of series) {
    const entry = METRIC_CATALOGUE[s.name];
    const directive = {
      Namespace: METRICS_NAMESPACE,
      Dimensions: dimensionSets(entry.dimensions),
      Metrics: [{ Name: s.name, Unit: entry.unit }],
    };
    for (const part of chunks(s.values)) {
      const value = entry.kind === 'timing' ? part : part[0];
      docs.push({
        _aws: { Timestamp: timestamp, CloudWatchMetrics: [directive] },
        ...process,
        ...s.dimensions,
        [s.name]: value,
      });
    }
  }
  return docs;
}
