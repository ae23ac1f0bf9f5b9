/**
 * Queue processing as a Lambda (lambdas/queue/handler.ts) fed by an SQS event source on the
 * mail queue with ReportBatchItemFailures and a maximum concurrency, and by an EventBridge
 * schedule that runs its dead-letter sweep. Owns its grants (the frontend's queue-processing
 * actions, without intake) and its environment.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import type { BackendLambda } from './backend-lambda.ts';
import {
  acknowledgeLambda,
  LAMBDA_DATA_DIR,
  LAMBDA_NODE_ENVIRONMENT,
  stratoLambdaProps,
} from './bundling.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import type { OutboundEmail } from './outbound-email.ts';
import { METRICS_SERVICE, metricsEnvironment, queueProcessingEnvironment } from './roles-env.ts';

export interface QueueLambdaProps {
  readonly config: StageConfig;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly outbound: OutboundEmail;
  /** The backend Lambda, when backends run as one (else LMTP backends from the registry). */
  readonly backendLambda?: BackendLambda | undefined;
}

export class QueueLambda extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: QueueLambdaProps) {
    super(scope, id);
    const { config } = props;
    this.fn = new NodejsFunction(this, 'Function', {
      ...stratoLambdaProps({
        entryPath: 'lambdas/queue/handler.ts',
        memoryMiB: config.queueLambda.memoryMiB,
        timeoutSeconds: config.queueLambda.timeoutSeconds,
        description: `Strato queue processor (${config.stage})`,
      }),
      // Its own log group, kept a month (the implicit one would keep every line for ever).
      logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH }),
      environment: {
        ...LAMBDA_NODE_ENVIRONMENT,
        [ENV.storage]: 'aws',
        ...props.storage.environment(),
        ...props.queue.environment(),
        ...props.outbound.environment(),
        ...metricsEnvironment(props.config, METRICS_SERVICE.queueLambda),
        ...queueProcessingEnvironment(config, true),
        ...(props.backendLambda?.environment() ?? {}),
        [ENV.dataDir]: LAMBDA_DATA_DIR,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
      },
    });
    acknowledgeLambda(this.fn);
    props.storage.grantQueueProcessing(this.fn);
    props.queue.grantProcess(this.fn);
    props.outbound.grantSend(this.fn);
    props.backendLambda?.grantInvoke(this.fn);
    // The event source mapping adds its own consume grant (Receive/Delete/ChangeVisibility/
    // GetQueueAttributes/GetQueueUrl) on the main queue.
    this.fn.addEventSource(
      new SqsEventSource(props.queue.queue, {
        batchSize: config.queueLambda.batchSize,
        reportBatchItemFailures: true,
        // Caps the invocations the queue can start (and so the load on the backend function).
        maxConcurrency: config.queueLambda.maxConcurrency,
      }),
    );
    // The dead-letter sweep: the same function on a schedule (a dead job is one no SQS
    // invocation will ever bring back, so the SQS invocations cannot be relied on to sweep). Same
    // code and role: it reads the index's dead-letters GSI and enqueues the DSNs.
    new Rule(this, 'DeadLetterSweep', {
      description: `Strato dead-letter sweep (${config.stage})`,
      schedule: Schedule.rate(Duration.minutes(config.queueLambda.deadLetterSweepMinutes)),
      targets: [new LambdaFunction(this.fn, { retryAttempts: 0 })],
    });
  }
}
