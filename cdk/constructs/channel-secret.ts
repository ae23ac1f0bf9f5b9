/**
 * The delivery-channel secret: queue processors (frontends) authenticate with it to the Fargate
 * backends' LMTP port (AUTH PLAIN), so only they can deliver there, whatever else can reach the
 * backends' security group. Kept in Secrets Manager and injected into both task definitions as
 * an ECS secret (the execution role gets the read grant). The Lambda channel is guarded by IAM.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export class ChannelSecret extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: { readonly retainData: boolean }) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Strato delivery-channel secret (queue processors authenticate to LMTP backends)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The processes read the channel secret only at start: it is rotated by hand with a redeploy of ' +
        'frontends and backends (until both run, deliveries between old and new tasks retry, nothing is lost)',
    });
  }
}
