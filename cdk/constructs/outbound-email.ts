/**
 * Outbound mail through SES (outbound port 25 is restricted on AWS): a configuration set (with
 * reputation metrics, so bounces and complaints are visible) and, when configured, the sending
 * domain identity with Easy DKIM. Owns the send grant and the variables naming them.
 */

import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { ConfigurationSet, EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import { allowWildcard } from './iam.ts';

export interface OutboundEmailProps {
  readonly identityDomain?: string | undefined;
  readonly bounceAddress: string;
}

export const SES_SEND_ACTIONS = ['ses:SendRawEmail', 'ses:SendEmail'] as const;

export class OutboundEmail extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly identity?: EmailIdentity;
  private readonly bounceAddress: string;

  constructor(scope: Construct, id: string, props: OutboundEmailProps) {
    super(scope, id);
    this.bounceAddress = props.bounceAddress;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', { reputationMetrics: true });
    if (props.identityDomain) {
      this.identity = new EmailIdentity(this, 'Identity', {
        identity: Identity.domain(props.identityDomain),
        configurationSet: this.configurationSet,
      });
      // Easy DKIM: publish these three CNAME records in the domain's DNS zone.
      for (const [n, record] of this.identity.dkimRecords.entries()) {
        new CfnOutput(this, `DkimRecord${n + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: `SES Easy DKIM record ${n + 1} for ${props.identityDomain}`,
        });
      }
    }
  }

  environment(): Record<string, string> {
    return {
      [ENV.relay]: 'ses',
      [ENV.sesConfigurationSet]: this.configurationSet.configurationSetName,
      [ENV.bounceAddress]: this.bounceAddress,
    };
  }

  /** Send through SES: any verified identity of the account, with this configuration set. */
  grantSend(grantee: IGrantable): void {
    const { region, account, partition } = Stack.of(this);
    allowWildcard(
      grantee,
      SES_SEND_ACTIONS,
      [
        `arn:${partition}:ses:${region}:${account}:identity/*`,
        `arn:${partition}:ses:${region}:${account}:configuration-set/${this.configurationSet.configurationSetName}`,
      ],
      'SES authorises a send on the From identity: DSNs and relayed mail use any domain verified in the account',
    );
  }
}
