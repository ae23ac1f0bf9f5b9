/**
 * Alarms on the AWS services under Strato: the MX listener without a healthy task (1-minute
 * periods, 2 of 2: pages within about 2 minutes), each Fargate service running fewer tasks than
 * it wants for 5 minutes (Container Insights), Lambda throttles, DynamoDB throttles on any
 * table, and the SES complaint rate. Each notifies the AlarmSink's topics.
 */
import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import type { NetworkTargetGroup } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type AlarmSink, RATE_PERIOD } from './alarm-sink.ts';

export interface PlatformAlarmsProps {
  readonly sink: AlarmSink;
  /** The NLB target group of port 25. */
  readonly mxTargetGroup: NetworkTargetGroup;
  readonly services: readonly { readonly name: string; readonly service: FargateService }[];
  readonly functions: readonly { readonly name: string; readonly fn: IFunction }[];
  readonly tables: readonly TableV2[];
  readonly sesComplaintRate: number;
}

/** One minute: the MX outage alarm's period (2 breaching periods page). */
export const MX_OUTAGE_PERIOD = Duration.minutes(1);

export class PlatformAlarms extends Construct {
  private readonly sink: AlarmSink;

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    this.sink = props.sink;
    const { sink } = props;
    sink.add(this, 'MxOutage', {
      metric: props.mxTargetGroup.metrics.healthyHostCount({
        statistic: 'Minimum',
        period: MX_OUTAGE_PERIOD,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      // No data from the NLB is no healthy target either.
      treatMissingData: TreatMissingData.BREACHING,
      description:
        'PAGE: no healthy frontend behind port 25 for 2 minutes, inbound mail is refused. Check the frontend service events and task logs.',
    });
    for (const { name, service } of props.services) this.belowDesired(name, service);
    for (const { name, fn } of props.functions) {
      sink.add(this, `${name}LambdaThrottles`, {
        metric: fn.metricThrottles({ statistic: 'Sum', period: RATE_PERIOD }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `The ${name} Lambda was throttled: raise its concurrency in the stage config (the queue retries meanwhile).`,
      });
    }
    this.dynamoThrottles(props.tables);
    sink.add(this, 'SesComplaintRate', {
      metric: new Metric({
        namespace: 'AWS/SES',
        metricName: 'Reputation.ComplaintRate',
        statistic: 'Maximum',
        period: Duration.minutes(15),
      }),
      threshold: props.sesComplaintRate,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'SES complaint rate above the stage threshold: SES reviews at 0.1 % and may pause sending at 0.5 %.',
    });
  }

  /** Container Insights' desired minus running tasks of one service, above 0 for 5 minutes. */
  private belowDesired(name: string, service: FargateService): void {
    const dims = { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName };
    const ci = (metricName: string) =>
      new Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: dims,
        statistic: 'Average',
        period: Duration.minutes(1),
      });
    this.sink.add(this, `${name}BelowDesired`, {
      metric: new MathExpression({
        expression: 'desired - running',
        usingMetrics: { desired: ci('DesiredTaskCount'), running: ci('RunningTaskCount') },
        period: Duration.minutes(1),
        label: 'tasks missing',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      description: `${name}: fewer tasks running than desired for 5 minutes (tasks failing to start or crashing). Check the service events.`,
    });
  }

  /** Read and write throttle events of every table, summed. */
  private dynamoThrottles(tables: readonly TableV2[]): void {
    const usingMetrics: Record<string, Metric> = {};
    tables.forEach((table, i) => {
      for (const [key, metricName] of [
        ['r', 'ReadThrottleEvents'],
        ['w', 'WriteThrottleEvents'],
      ] as const) {
        usingMetrics[`${key}${i}`] = new Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: table.tableName },
          statistic: 'Sum',
          period: RATE_PERIOD,
        });
      }
    });
    this.sink.add(this, 'DynamoThrottles', {
      metric: new MathExpression({
        expression: Object.keys(usingMetrics).join(' + '),
        usingMetrics,
        period: RATE_PERIOD,
        label: 'throttle events',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description:
        'DynamoDB throttled requests (on-demand tables: a sudden burst or an account limit). Check the table metrics.',
    });
  }
}
