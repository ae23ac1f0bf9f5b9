/**
 * SES bounce and complaint feedback: an event destination of the stage's configuration set
 * publishes BOUNCE and COMPLAINT events to an SNS topic (TLS only), and a Lambda
 * (lambdas/ses-feedback/handler.ts) subscribed to it records suppressions in the coordination
 * table and queues failure DSNs to the local senders. Owns its grants (directory read,
 * coordination items, spool puts, queue send) and its environment. A failed invocation is
 * retried by SNS's asynchronous invocation.
 */

import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigurationSetEventDestination, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import { acknowledgeLambda, LAMBDA_NODE_ENVIRONMENT, stratoLambdaProps } from './bundling.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import type { OutboundEmail } from './outbound-email.ts';

export interface SesFeedbackProps {
  readonly config: StageConfig;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly outbound: OutboundEmail;
}

export class SesFeedback extends Construct {
  readonly topic: Topic;
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: SesFeedbackProps) {
    super(scope, id);
    const { config } = props;
    this.topic = new Topic(this, 'Topic', {
      enforceSSL: true,
      displayName: `Strato ${config.stage} SES bounces and complaints`,
    });
    new ConfigurationSetEventDestination(this, 'EventDestination', {
      configurationSet: props.outbound.configurationSet,
      destination: EventDestination.snsTopic(this.topic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    this.fn = new NodejsFunction(this, 'Function', {
      ...stratoLambdaProps({
        entryPath: 'lambdas/ses-feedback/handler.ts',
        memoryMiB: 256,
        timeoutSeconds: 30,
        description: `Strato SES bounce and complaint consumer (${config.stage})`,
      }),
      logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH }),
      environment: {
        ...LAMBDA_NODE_ENVIRONMENT,
        [ENV.storage]: 'aws',
        ...props.storage.environment(),
        ...props.queue.environment(),
        [ENV.bounceAddress]: config.bounceAddress,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
      },
    });
    acknowledgeLambda(this.fn);
    props.storage.grantSesFeedback(this.fn);
    props.queue.grantSend(this.fn);
    this.topic.addSubscription(new LambdaSubscription(this.fn));
  }
}
