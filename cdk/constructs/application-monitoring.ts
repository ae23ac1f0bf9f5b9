/**
 * Alarms and dashboard widgets on Strato's own metrics (core/ports/metrics.ts, published as EMF
 * under namespace Strato with a Stage dimension): SMTP 4xx and 5xx refusal spikes, AUTH failure
 * spikes and relay failures (bounced or deferred), each a 5-minute sum over the stage's
 * thresholds (stage config `alarms`); and a dashboard section with every application metric.
 */
import { ComparisonOperator, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { MonitoringFacade } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName, REJECTION_REASONS } from '../../core/ports/metrics.ts';
import type { StageConfig } from '../config.ts';
import { type AlarmSink, RATE_PERIOD } from './alarm-sink.ts';

export interface ApplicationMonitoringProps {
  readonly config: StageConfig;
  readonly sink: AlarmSink;
  readonly facade: MonitoringFacade;
  /** The frontend services' Service dimensions (main, and intake when the stage has one). */
  readonly frontendServices: readonly string[];
}

/** One Strato metric of the stage, by its own dimensions (see runtime/metrics/emf.ts for the sets published). */
export function stratoMetric(
  stage: string,
  name: MetricName,
  dims: Record<string, string> = {},
  statistic = 'Sum',
  label?: string,
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { Stage: stage, ...dims },
    statistic,
    period: RATE_PERIOD,
    ...(label ? { label } : {}),
  });
}

export class ApplicationMonitoring extends Construct {
  constructor(scope: Construct, id: string, props: ApplicationMonitoringProps) {
    super(scope, id);
    const { config, sink } = props;
    const limits = config.alarms;
    const m = (name: MetricName, dims: Record<string, string> = {}, stat = 'Sum', label?: string) =>
      stratoMetric(config.stage, name, dims, stat, label);
    const over = ComparisonOperator.GREATER_THAN_THRESHOLD;

    sink.add(this, 'Smtp4xxSpike', {
      metric: m('SmtpRejected', { Class: '4xx' }),
      threshold: limits.smtp4xxPer5Minutes,
      comparisonOperator: over,
      description:
        'Many temporary SMTP refusals (4xx): limits hit, storage/queue faults or a flood. See README "Metrics and alarms".',
    });
    sink.add(this, 'Smtp5xxSpike', {
      metric: m('SmtpRejected', { Class: '5xx' }),
      threshold: limits.smtp5xxPer5Minutes,
      comparisonOperator: over,
      description:
        'Many permanent SMTP refusals (5xx): a dictionary attack, a relay probe or a broken sender. See the Reason breakdown.',
    });
    sink.add(this, 'AuthFailureSpike', {
      metric: m('SmtpRejected', { Reason: 'auth' }),
      threshold: limits.authFailuresPer5Minutes,
      comparisonOperator: over,
      description:
        'Many failed AUTH attempts: password guessing (the lockouts answer 454) or a client with a stale password.',
    });
    sink.add(this, 'RelayFailures', {
      metric: new MathExpression({
        expression: 'bounced + deferred',
        usingMetrics: {
          bounced: m('Relay', { Outcome: 'bounced' }),
          deferred: m('Relay', { Outcome: 'deferred' }),
        },
        period: RATE_PERIOD,
        label: 'relay failures',
      }),
      threshold: limits.relayFailuresPer5Minutes,
      comparisonOperator: over,
      description:
        'Outbound relay (SES) refused or deferred recipients: check SES sending status, quotas and reputation.',
    });

    this.dashboard(props, m);
  }

  private dashboard(
    props: ApplicationMonitoringProps,
    m: (name: MetricName, dims?: Record<string, string>, stat?: string, label?: string) => Metric,
  ): void {
    const left = (metric: Metric) => metric;
    const reasons = REJECTION_REASONS;
    const outcomes = ['delivered', 'deferred', 'bounced'];
    props.facade.monitorCustom({
      alarmFriendlyName: 'Application',
      humanReadableName: 'Strato application metrics',
      metricGroups: [
        {
          title: 'Open SMTP sessions per task (Average)',
          metrics: props.frontendServices.map((s) =>
            left(m('SmtpSessionsOpen', { Service: s }, 'Average', s)),
          ),
        },
        {
          title: 'Connections and messages accepted',
          metrics: [
            left(m('SmtpConnections', {}, 'Sum', 'connections')),
            left(m('SmtpMessagesAccepted', {}, 'Sum', 'messages')),
          ],
        },
        { title: 'Bytes accepted', metrics: [left(m('SmtpBytesAccepted', {}, 'Sum', 'bytes'))] },
        {
          title: 'SMTP refusals by class',
          metrics: ['4xx', '5xx'].map((c) => left(m('SmtpRejected', { Class: c }, 'Sum', c))),
        },
        {
          title: 'SMTP refusals by reason',
          metrics: reasons.map((r) => left(m('SmtpRejected', { Reason: r }, 'Sum', r))),
        },
        {
          title: 'Local delivery outcomes',
          metrics: outcomes.map((o) => left(m('Delivery', { Outcome: o }, 'Sum', o))),
        },
        { title: 'Relay outcomes', metrics: outcomes.map((o) => left(m('Relay', { Outcome: o }, 'Sum', o))) },
        {
          title: 'Accept → stored latency (ms)',
          metrics: ['p50', 'p99'].map((p) => left(m('DeliveryLatency', {}, p, p))),
        },
        {
          title: 'Queue age at processing (s) and deferrals',
          metrics: [
            left(m('QueueAge', {}, 'p99', 'age p99')),
            left(m('QueueDeferred', {}, 'Sum', 'deferred')),
          ],
        },
        {
          title: 'Lease takeovers, generated mail, DSNs',
          metrics: [
            left(m('LeaseTakeovers', {}, 'Sum', 'lease takeovers')),
            left(m('GeneratedMail', {}, 'Sum', 'generated')),
            ...['failed', 'delayed', 'delivered', 'relayed'].map((k) =>
              left(m('DsnSent', { Kind: k }, 'Sum', `DSN ${k}`)),
            ),
          ],
        },
        {
          title: 'Content filter (scans, failures, breaker)',
          metrics: ['scanned', 'failed', 'skipped', 'tripped'].map((o) =>
            left(m('ContentFilter', { Outcome: o }, 'Sum', o)),
          ),
        },
      ],
    });
  }
}
