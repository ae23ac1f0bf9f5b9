/**
 * Installs the metrics adapter STRATO_METRICS picks for this process and flushes it every
 * interval and at shutdown (`stop`) — or, in a Lambda, after each invocation (`flush`): "emf"
 * writes one CloudWatch EMF JSON line per series to stdout, "log" one `metrics` log line per
 * interval with events in it, "off" records nothing. A write failure is logged once per flush
 * and the interval's figures are dropped (metrics never hold mail handling up).
 */
import type { MetricsConfig } from '../../core/config/metrics-config.ts';
import type { Logger } from '../../core/ports/logger.ts';
import { noMetrics } from '../../core/ports/metrics.ts';
import { installMetrics } from '../../core/util/metrics.ts';
import { Aggregator } from './aggregate.ts';
import { emfDocuments } from './emf.ts';
import { metricsLine } from './log-line.ts';

export interface MetricsHandle {
  /** Publish what the interval recorded so far. */
  flush(): void;
  /** Stop the timer and publish the rest (shutdown). */
  stop(): void;
}

export interface StartMetricsOptions {
  readonly config: MetricsConfig;
  /** The Service dimension when STRATO_METRICS_SERVICE is not set (the process role). */
  readonly role: string;
  readonly logger: Logger;
  /** Where EMF lines go (default: stdout). */
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

export function startMetrics(opts: StartMetricsOptions): MetricsHandle {
  const { config, logger } = opts;
  if (config.mode === 'off') {
    installMetrics(noMetrics);
    return { flush() {}, stop() {} };
  }
  const agg = new Aggregator();
  installMetrics(agg);
  const dims = { Stage: config.stage, Service: config.service ?? opts.role };
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? Date.now;
  const flush = () => {
    try {
      if (config.mode === 'emf') {
        for (const doc of emfDocuments(agg.drain(), dims, now())) write(JSON.stringify(doc));
      } else if (agg.hasEvents) {
        logger.info({
          event: 'metrics',
          intervalSeconds: config.intervalSeconds,
          ...metricsLine(agg.drain()),
        });
      }
    } catch (err) {
      logger.warn({ event: 'metrics.flush_failed', err });
    }
  };
  const timer = setInterval(flush, config.intervalSeconds * 1000);
  timer.unref();
  return {
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
