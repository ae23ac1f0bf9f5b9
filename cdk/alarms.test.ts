/**
 * The stage's alarms, each with its metric, period and threshold (README "Metrics and alarms"):
 * application alarms on Strato's EMF metrics, the MX outage page (1-minute periods), tasks below
 * desired per Fargate service, Lambda and DynamoDB throttles, SES complaint rate; all notifying
 * the stage topic, and an on-call topic when the stage names one. Dev (Fargate backends) and
 * prod (Lambdas) stages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_CATALOGUE } from '../core/ports/metrics.ts';
import { type AlarmJson, alarmsByName, stage, synthStage } from './test-support.ts';

let dev: Record<string, AlarmJson>;
let devDashboard: string;
let prod: Record<string, AlarmJson>;
let prodTemplate: ReturnType<typeof synthStage>['serviceTemplate'];
const PAGER = 'arn:aws:sns:eu-west-1:123456789012:pager';

beforeAll(() => {
  const devTemplate = synthStage(stage('dev')).serviceTemplate;
  dev = alarmsByName(devTemplate);
  devDashboard = JSON.stringify(devTemplate.findResources('AWS::CloudWatch::Dashboard'));
  prodTemplate = synthStage(stage('prod', { alarmTopicArn: PAGER })).serviceTemplate;
  prod = alarmsByName(prodTemplate);
});

const metricOf = (a: AlarmJson, id: string) => a.Metrics?.find((m) => m.Id === id)?.MetricStat;

describe('application alarms (Strato namespace, stage dimension)', () => {
  it.each([
    ['Smtp4xxSpike', { Class: '4xx' }, 500],
    ['Smtp5xxSpike', { Class: '5xx' }, 500],
    ['AuthFailureSpike', { Reason: 'auth' }, 100],
  ])('%s: SmtpRejected %o, 5-minute sum above %d', (name, dims, threshold) => {
    const a = dev[name]!;
    expect(a).toMatchObject({
      Namespace: 'Strato',
      MetricName: 'SmtpRejected',
      Statistic: 'Sum',
      Period: 300,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    const [[k, v]] = Object.entries(dims) as [[string, string]];
    expect(a.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'Stage', Value: 'dev' },
        { Name: k, Value: v },
      ]),
    );
    expect(a.Dimensions).toHaveLength(2);
  });

  it('RelayFailures: Relay bounced + deferred over 5 minutes above 20', () => {
    const a = dev.RelayFailures!;
    expect(a).toMatchObject({ Threshold: 20, ComparisonOperator: 'GreaterThanThreshold' });
    expect(a.Metrics?.find((m) => m.Expression)?.Expression).toBe('bounced + deferred');
    for (const id of ['bounced', 'deferred']) {
      expect(metricOf(a, id)).toMatchObject({
        Period: 300,
        Stat: 'Sum',
        Metric: { Namespace: 'Strato', MetricName: 'Relay' },
      });
      expect(metricOf(a, id)?.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Outcome', Value: id },
          { Name: 'Stage', Value: 'dev' },
        ]),
      );
    }
  });

  it('takes its thresholds from the stage config', () => {
    const t = synthStage(stage('dev', { alarms: { smtp5xxPer5Minutes: 42 } })).serviceTemplate;
    expect(alarmsByName(t).Smtp5xxSpike?.Threshold).toBe(42);
  });
});

describe('platform alarms', () => {
  it('pages on an MX outage within 2 minutes: no healthy port-25 target for 2 of 2 one-minute periods', () => {
    const a = dev.MxOutage!;
    expect(a).toMatchObject({
      Namespace: 'AWS/NetworkELB',
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
    expect(JSON.stringify(a.Dimensions)).toContain('MxTargets');
  });

  it('alarms when a Fargate service runs fewer tasks than desired for 5 minutes (frontends and backends)', () => {
    for (const name of ['FrontendBelowDesired', 'BackendBelowDesired']) {
      const a = dev[name]!;
      expect(a).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 5,
      });
      expect(a.Metrics?.find((m) => m.Expression)?.Expression).toBe('desired - running');
      expect(metricOf(a, 'desired')).toMatchObject({
        Period: 60,
        Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'DesiredTaskCount' },
      });
      expect(metricOf(a, 'running')?.Metric.MetricName).toBe('RunningTaskCount');
    }
    expect(prod.BackendBelowDesired).toBeUndefined();
  });

  it('alarms on any DynamoDB throttle event on any table', () => {
    const a = dev.DynamoThrottles!;
    expect(a).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const stats = (a.Metrics ?? []).flatMap((m) => (m.MetricStat ? [m.MetricStat] : []));
    expect(stats.length).toBe(8);
    expect(new Set(stats.map((s) => s.Metric.MetricName))).toEqual(
      new Set(['ReadThrottleEvents', 'WriteThrottleEvents']),
    );
    expect(stats.every((s) => s.Period === 300 && s.Stat === 'Sum')).toBe(true);
  });

  it('alarms on the SES complaint rate above 0.1 %', () => {
    expect(dev.SesComplaintRate).toMatchObject({
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.ComplaintRate',
      Statistic: 'Maximum',
      Period: 900,
      Threshold: 0.001,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on throttles of each Lambda', () => {
    for (const name of ['BackendLambdaThrottles', 'QueueLambdaThrottles']) {
      expect(prod[name]).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    expect(dev.QueueLambdaThrottles).toBeUndefined();
  });
});

describe('alarm target', () => {
  it('notifies the stage topic and the on-call topic the stage names', () => {
    const names = Object.keys(prod);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(prod[name]!.AlarmActions).toHaveLength(2);
      expect(JSON.stringify(prod[name]!.AlarmActions)).toContain(PAGER);
    }
  });

  it('subscribes the stage e-mail address to the stage topic', () => {
    prodTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });
});

describe('dashboard', () => {
  it('shows every application metric of the catalogue, in the Strato namespace', () => {
    expect(devDashboard).toContain('\\"Strato\\"');
    for (const name of Object.keys(METRIC_CATALOGUE)) expect(devDashboard).toContain(`\\"${name}\\"`);
  });
});
