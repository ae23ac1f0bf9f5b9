/**
 * The SRS secret every frontend and backend must share (a generated one per process would make
 * one instance's bounce addresses invalid at another). Kept in Secrets Manager.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export class SrsSecret extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: { readonly retainData: boolean }) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Strato SRS secret (shared by frontends and backends)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the SRS secret invalidates every SRS address already sent out (bounces to forwarded mail ' +
        'would be refused); it is rotated by hand, and the processes read it only at start',
    });
  }
}
