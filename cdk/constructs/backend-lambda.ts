/**
 * Backends as a Lambda function (lambdas/backend/handler.ts): invoked by the queue processors
 * with a DeliveryInvocation (adapters/aws/lambda-wire.ts). Owns its grants (backend actions) and
 * its environment.
 */
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { StageConfig } from '../config.ts';
import {
  acknowledgeLambda,
  LAMBDA_DATA_DIR,
  LAMBDA_NODE_ENVIRONMENT,
  stratoLambdaProps,
} from './bundling.ts';
import type { ClusterSecret } from './cluster-secret.ts';
import { allow } from './iam.ts';
import type { MailQueue } from './mail-queue.ts';
import type { MailStorage } from './mail-storage.ts';
import { METRICS_SERVICE, metricsEnvironment } from './roles-env.ts';

export interface BackendLambdaProps {
  readonly config: StageConfig;
  readonly storage: MailStorage;
  readonly queue: MailQueue;
  readonly srs: ClusterSecret;
}

export class BackendLambda extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: BackendLambdaProps) {
    super(scope, id);
    const { config } = props;
    this.fn = new NodejsFunction(this, 'Function', {
      ...stratoLambdaProps({
        entryPath: 'lambdas/backend/handler.ts',
        memoryMiB: config.backend.lambdaMemoryMiB,
        timeoutSeconds: config.backend.lambdaTimeoutSeconds,
        description: `Strato backend (${config.stage})`,
      }),
      // Its own share of the account's concurrency, and its cap (a throttled delivery is retried).
      reservedConcurrentExecutions: config.backend.lambdaReservedConcurrency,
      // Its own log group, kept a month (the implicit one would keep every line for ever).
      logGroup: new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH }),
      environment: {
        ...LAMBDA_NODE_ENVIRONMENT,
        [ENV.storage]: 'aws',
        ...props.storage.environment(),
        ...props.queue.environment(),
        ...metricsEnvironment(props.config, METRICS_SERVICE.backendLambda),
        [ENV.dataDir]: LAMBDA_DATA_DIR,
        [ENV.hostname]: config.hostname,
        [ENV.logLevel]: config.logLevel,
        [ENV.maxMessageSize]: String(config.frontend.maxMessageSize),
        [ENV.generatedMail]: 'queue',
        // Read at cold start (the handler refuses to start without it): the value itself never
        // sits in the function's configuration, where anyone with lambda:GetFunction could read it.
        [ENV.srsSecretId]: props.srs.secret.secretArn,
      },
    });
    props.srs.secret.grantRead(this.fn);
    acknowledgeLambda(this.fn);
    props.storage.grantBackend(this.fn);
    props.queue.grantSend(this.fn);
  }

  /** The queue processors' Lambda delivery channel. */
  environment(): Record<string, string> {
    return { [ENV.backendFunction]: this.fn.functionName };
  }

  grantInvoke(grantee: IGrantable): void {
    // The unqualified function only (grantInvoke would add `<arn>:*`, every version and alias).
    allow(grantee, ['lambda:InvokeFunction'], [this.fn.functionArn]);
  }
}
