/**
 * CloudWatch dashboards and alarms via cdk-monitoring-constructs: the queue's oldest message age
 * and DLQ depth, healthy frontend targets per SMTP listener, frontend CPU/memory (each frontend
 * service), Lambda errors, and the SES bounce rate. Alarms notify an SNS topic (optionally with an e-mail subscription).
 */
import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { AxisPosition, MonitoringFacade, notifySns } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { FrontendService } from './frontend-service.ts';
import type { MailQueue } from './mail-queue.ts';

export interface MonitoringProps {
  readonly stage: string;
  readonly queue: MailQueue;
  readonly frontend: FrontendService;
  /** The intake-only frontend service, when the stage runs one (same target groups as `frontend`). */
  readonly intakeFrontend?: FrontendService | undefined;
  readonly functions: readonly { readonly name: string; readonly fn: IFunction }[];
  readonly oldestMessageAlarmSeconds: number;
  readonly alarmEmail?: string | undefined;
}

/** SES reviews an account above a 5 % bounce rate and may pause sending at 10 %. */
export const SES_BOUNCE_RATE_ALARM = 0.05;

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      enforceSSL: true,
      displayName: `Strato ${props.stage} alarms`,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `Strato-${props.stage}`,
        actionsEnabled: true,
        action: notifySns(this.topic, this.topic),
      },
      metricFactoryDefaults: {},
    });
    const f = this.facade;
    f.addLargeHeader(`Strato ${props.stage}`);
    f.monitorSqsQueueWithDlq({
      queue: props.queue.queue,
      deadLetterQueue: props.queue.deadLetterQueue,
      alarmFriendlyName: 'MailQueue',
      addQueueMaxMessageAgeAlarm: { Backlog: { maxAgeInSeconds: props.oldestMessageAlarmSeconds } },
      addDeadLetterQueueMaxSizeAlarm: { DeadLetters: { maxMessageCount: 0 } },
    });
    props.frontend.targetGroups.forEach((tg, i) => {
      f.monitorNetworkLoadBalancer({
        networkLoadBalancer: props.frontend.loadBalancer,
        networkTargetGroup: tg,
        alarmFriendlyName: `Frontend${i}`,
        humanReadableName: `Frontend listener ${i + 1}`,
        // The MX listener is the one that must never be empty.
        ...(i === 0 && { addHealthyTaskCountAlarm: { NoHealthyFrontend: { minHealthyTasks: 1 } } }),
      });
    });
    f.monitorSimpleFargateService({
      fargateService: props.frontend.service,
      alarmFriendlyName: 'FrontendService',
      humanReadableName: 'Frontend tasks',
    });
    if (props.intakeFrontend) {
      f.monitorSimpleFargateService({
        fargateService: props.intakeFrontend.service,
        alarmFriendlyName: 'FrontendIntakeService',
        humanReadableName: 'Intake frontend tasks',
      });
    }
    for (const { name, fn } of props.functions) {
      f.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: `${name}Lambda`,
        addFaultCountAlarm: { Errors: { maxErrorCount: 0 } },
      });
    }
    f.monitorCustom({
      alarmFriendlyName: 'Ses',
      humanReadableName: 'SES reputation',
      metricGroups: [
        {
          title: 'SES bounce rate',
          metrics: [
            {
              metric: new Metric({
                namespace: 'AWS/SES',
                metricName: 'Reputation.BounceRate',
                statistic: 'Maximum',
                period: Duration.minutes(15),
              }),
              alarmFriendlyName: 'SesBounceRate',
              position: AxisPosition.LEFT,
              addAlarm: {
                BounceRate: {
                  threshold: SES_BOUNCE_RATE_ALARM,
                  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
                  additionalDescription: 'SES bounce rate above 5%',
                },
              },
            },
          ],
        },
      ],
    });
  }
}
