/**
 * The stage's dashboard and alarms. Here, via cdk-monitoring-constructs: the queue's oldest
 * message age and DLQ depth, healthy frontend targets per SMTP listener, CPU/memory of each
 * Fargate service, Lambda errors, and the SES bounce rate. Beside it, one construct per concern:
 * ApplicationMonitoring (Strato's own metrics: SMTP refusal and AUTH failure spikes, relay
 * failures, and their dashboard section) and PlatformAlarms (MX outage within 2 minutes, tasks
 * below desired, Lambda and DynamoDB throttles, SES complaint rate). Every alarm notifies the
 * AlarmSink: the stage's SNS topic (optional e-mail subscription) and an optional on-call topic.
 */
import { Duration } from 'aws-cdk-lib';
import { ComparisonOperator, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { AxisPosition, MonitoringFacade } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config.ts';
import { AlarmSink } from './alarm-sink.ts';
import { ApplicationMonitoring } from './application-monitoring.ts';
import type { BackendService } from './backend-service.ts';
import type { FrontendService } from './frontend-service.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import { PlatformAlarms } from './platform-alarms.ts';
import { METRICS_SERVICE } from './roles-env.ts';

export interface MonitoringProps {
  readonly config: StageConfig;
  readonly queue: MailQueue;
  readonly storage: MailStorage;
  readonly frontend: FrontendService;
  /** The intake-only frontend service, when the stage runs one (same target groups as `frontend`). */
  readonly intakeFrontend?: FrontendService | undefined;
  /** The LMTP backends, when they run on Fargate. */
  readonly backend?: BackendService | undefined;
  readonly functions: readonly { readonly name: string; readonly fn: IFunction }[];
}

/** SES reviews an account above a 5 % bounce rate and may pause sending at 10 %. */
export const SES_BOUNCE_RATE_ALARM = 0.05;

export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    const stage = config.stage;
    const sink = new AlarmSink(this, 'Alarms', {
      stage,
      alarmEmail: config.alarmEmail,
      alarmTopicArn: config.alarmTopicArn,
    });
    this.topic = sink.topic;
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `Strato-${stage}`,
        actionsEnabled: true,
        action: sink.facadeAction(),
      },
      metricFactoryDefaults: {},
    });
    const f = this.facade;
    f.addLargeHeader(`Strato ${stage}`);
    f.monitorSqsQueueWithDlq({
      queue: props.queue.queue,
      deadLetterQueue: props.queue.deadLetterQueue,
      alarmFriendlyName: 'MailQueue',
      addQueueMaxMessageAgeAlarm: { Backlog: { maxAgeInSeconds: config.queue.oldestMessageAlarmSeconds } },
      addDeadLetterQueueMaxSizeAlarm: { DeadLetters: { maxMessageCount: 0 } },
    });
    props.frontend.targetGroups.forEach((tg, i) => {
      f.monitorNetworkLoadBalancer({
        networkLoadBalancer: props.frontend.loadBalancer,
        networkTargetGroup: tg,
        alarmFriendlyName: `Frontend${i}`,
        humanReadableName: `Frontend listener ${i + 1}`,
        // The MX listener's outage alarm (1-minute periods) is PlatformAlarms' MxOutage.
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
    if (props.backend) {
      f.monitorSimpleFargateService({
        fargateService: props.backend.service,
        alarmFriendlyName: 'BackendService',
        humanReadableName: 'Backend tasks',
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
    new ApplicationMonitoring(this, 'Application', {
      config,
      sink,
      facade: f,
      frontendServices: [
        METRICS_SERVICE.frontend,
        ...(props.intakeFrontend ? [METRICS_SERVICE.intakeFrontend] : []),
      ],
    });
    new PlatformAlarms(this, 'Platform', {
      sink,
      mxTargetGroup: props.frontend.targetGroups[0]!,
      services: [
        { name: 'Frontend', service: props.frontend.service },
        ...(props.intakeFrontend ? [{ name: 'FrontendIntake', service: props.intakeFrontend.service }] : []),
        ...(props.backend ? [{ name: 'Backend', service: props.backend.service }] : []),
      ],
      functions: props.functions,
      tables: Object.values(props.storage.tables),
      sesComplaintRate: config.alarms.sesComplaintRate,
    });
  }
}
