/**
 * Where every alarm goes: the stage's own SNS topic (with the optional `alarmEmail`
 * subscription) and, when the stage names one, an existing topic (`alarmTopicArn`, e.g. the
 * on-call pager's). `add` creates a CloudWatch alarm wired to both; the dashboard constructs use
 * `facadeAction` for the alarms cdk-monitoring-constructs makes.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, type ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { multipleActions, notifySns } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';

export interface AlarmSinkProps {
  readonly stage: string;
  readonly alarmEmail?: string | undefined;
  readonly alarmTopicArn?: string | undefined;
}

export interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** Periods looked at, and how many of them must breach (default 1 of 1). */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  /** Default: missing data is fine (no traffic, no alarm). */
  readonly treatMissingData?: TreatMissingData;
  /** What it means and what to do (README "Metrics and alarms" has the long form). */
  readonly description: string;
}

export class AlarmSink extends Construct {
  readonly topic: Topic;
  readonly topics: ITopic[];
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: AlarmSinkProps) {
    super(scope, id);
    this.prefix = `Strato-${props.stage}`;
    this.topic = new Topic(this, 'AlarmTopic', {
      enforceSSL: true,
      displayName: `Strato ${props.stage} alarms`,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.topics = [
      this.topic,
      ...(props.alarmTopicArn ? [Topic.fromTopicArn(this, 'OnCallTopic', props.alarmTopicArn)] : []),
    ];
  }

  /** The action strategy of cdk-monitoring-constructs' own alarms (same topics). */
  facadeAction() {
    const [first, ...rest] = this.topics.map((t) => notifySns(t, t));
    return rest.length === 0 ? first! : multipleActions(first!, ...rest);
  }

  /** A CloudWatch alarm named `<prefix>-<name>` that notifies every topic on alarm and on OK. */
  add(scope: Construct, name: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(scope, name, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: spec.description,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    for (const t of this.topics) {
      alarm.addAlarmAction(new SnsAction(t));
      alarm.addOkAction(new SnsAction(t));
    }
    return alarm;
  }
}

/** The period of the rate alarms. */
export const RATE_PERIOD = Duration.minutes(5);
