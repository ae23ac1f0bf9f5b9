/**
 * The process-wide metrics recorder: core code records with `metrics.count(...)` in one line at
 * each point, without a dependency threaded through every use case. The process entry point
 * installs the adapter STRATO_METRICS picks (runtime/metrics/); until then, and in unit tests,
 * nothing is recorded. A faulty adapter never reaches the caller: its error is swallowed.
 */
import { type Metrics, noMetrics } from '../ports/metrics.ts';

let sink: Metrics = noMetrics;

/** Route every recording of this process to `next` (the process entry point does this once). */
export function installMetrics(next: Metrics): void {
  sink = next;
}

const guarded =
  <A extends unknown[]>(f: (s: Metrics, ...a: A) => void) =>
  (...a: A): void => {
    try {
      f(sink, ...a);
    } catch {
      // Metrics are best-effort: mail handling never fails because a metric could not be kept.
    }
  };

export const metrics: Metrics = {
  count: guarded((s, name, dimensions, value) => s.count(name, dimensions, value)),
  gauge: guarded((s, name, value, dimensions) => s.gauge(name, value, dimensions)),
  timing: guarded((s, name, value, dimensions) => s.timing(name, value, dimensions)),
};
