/**
 * In-memory aggregation of one interval's recordings, shared by the EMF and log adapters:
 * counters are summed and timings collected per metric and dimension values; gauges keep their
 * last value and are reported every interval (a gauge is a state, not an event). `drain`
 * returns the interval's series and starts the next one. Unknown dimension keys are dropped and
 * missing ones filled with "none", so every series of a metric has the catalogue's keys.
 */
import {
  type CountName,
  type Dimensions,
  type GaugeName,
  METRIC_CATALOGUE,
  type MetricName,
  type Metrics,
  type TimingName,
} from '../../core/ports/metrics.ts';

export interface Series {
  readonly name: MetricName;
  readonly dimensions: Dimensions;
  /** Counter: [sum]; gauge: [last]; timing: every sample of the interval. */
  readonly values: readonly number[];
}

const key = (name: string, dims: Dimensions) => `${name}\u0000${JSON.stringify(dims)}`;

function normalise(name: MetricName, dims: Dimensions | undefined): Dimensions {
  const out: Record<string, string> = {};
  for (const k of METRIC_CATALOGUE[name].dimensions) out[k] = dims?.[k] || 'none';
  return out;
}

export class Aggregator implements Metrics {
  private counts = new Map<string, { name: MetricName; dimensions: Dimensions; sum: number }>();
  private timings = new Map<string, { name: MetricName; dimensions: Dimensions; values: number[] }>();
  private readonly gauges = new Map<string, { name: MetricName; dimensions: Dimensions; value: number }>();

  count(name: CountName, dimensions?: Dimensions, value = 1): void {
    if (!Number.isFinite(value)) return;
    const dims = normalise(name, dimensions);
    const k = key(name, dims);
    const c = this.counts.get(k) ?? { name, dimensions: dims, sum: 0 };
    c.sum += value;
    this.counts.set(k, c);
  }

  gauge(name: GaugeName, value: number, dimensions?: Dimensions): void {
    if (!Number.isFinite(value)) return;
    const dims = normalise(name, dimensions);
    this.gauges.set(key(name, dims), { name, dimensions: dims, value });
  }

  timing(name: TimingName, value: number, dimensions?: Dimensions): void {
    if (!Number.isFinite(value)) return;
    const dims = normalise(name, dimensions);
    const k = key(name, dims);
    const t = this.timings.get(k) ?? { name, dimensions: dims, values: [] };
    t.values.push(Math.max(0, value));
    this.timings.set(k, t);
  }

  /** Whether the interval recorded any event (gauges alone do not count). */
  get hasEvents(): boolean {
    return this.counts.size > 0 || this.timings.size > 0;
  }

  /** The interval's series (counters, timings, then every gauge); clears counters and timings. */
  drain(): Series[] {
    const out: Series[] = [
      ...[...this.counts.values()].map((c) => ({ name: c.name, dimensions: c.dimensions, values: [c.sum] })),
      ...[...this.timings.values()].map((t) => ({
        name: t.name,
        dimensions: t.dimensions,
        values: t.values,
      })),
      ...[...this.gauges.values()].map((g) => ({
        name: g.name,
        dimensions: g.dimensions,
        values: [g.value],
      })),
    ];
    this.counts = new Map();
    this.timings = new Map();
    return out;
  }
}
