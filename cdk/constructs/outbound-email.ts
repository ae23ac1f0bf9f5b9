/**
 * Outbound mail through SES (outbound port 25 is restricted on AWS): a configuration set (with
 * reputation metrics, so bounces and complaints are visible) and one domain identity per sending
 * domain of the stage (sesIdentityDomain and ses.domains), each with Easy DKIM and a custom MAIL
 * FROM domain (SES falls back to its own while the MX record is missing), with one output per
 * domain listing the DNS records to publish. Owns the send grant and the variables naming them.
 */

import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { ConfigurationSet, EmailIdentity, Identity, MailFromBehaviorOnMxFailure } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ENV } from '../../core/config/env-names.ts';
import type { SesDomain } from '../config.ts';
import { allowWildcard } from './iam.ts';

export interface OutboundEmailProps {
  /** The sending domains (cdk/config.ts sesDomains). */
  readonly domains: readonly SesDomain[];
  /** The domain of the stage's sesIdentityDomain: its identity keeps the id "Identity". */
  readonly identityDomain?: string | undefined;
  readonly bounceAddress: string;
}

export const SES_SEND_ACTIONS = ['ses:SendRawEmail', 'ses:SendEmail'] as const;

export class OutboundEmail extends Construct {
  readonly configurationSet: ConfigurationSet;
  /** The identities by domain. */
  readonly identities = new Map<string, EmailIdentity>();
  private readonly bounceAddress: string;

  constructor(scope: Construct, id: string, props: OutboundEmailProps) {
    super(scope, id);
    this.bounceAddress = props.bounceAddress;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', { reputationMetrics: true });
    const region = Stack.of(this).region;
    for (const { domain, mailFromSubdomain } of props.domains) {
      const legacy = domain === props.identityDomain?.toLowerCase();
      const mailFrom = `${mailFromSubdomain}.${domain}`;
      const identity = new EmailIdentity(this, legacy ? 'Identity' : `Identity-${domain}`, {
        identity: Identity.domain(domain),
        configurationSet: this.configurationSet,
        mailFromDomain: mailFrom,
        mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
      });
      this.identities.set(domain, identity);
      const records = [
        // Easy DKIM: three CNAMEs.
        ...identity.dkimRecords.map((r) => `${r.name} CNAME ${r.value}`),
        `${mailFrom} MX 10 feedback-smtp.${region}.amazonses.com`,
        `${mailFrom} TXT "v=spf1 include:amazonses.com -all"`,
      ];
      new CfnOutput(this, `DnsRecords${domain.replace(/[^A-Za-z0-9]/g, '')}`, {
        value: Fn.join(' ; ', records),
        description: `SES records to publish for ${domain} (Easy DKIM, MAIL FROM ${mailFrom})`,
      });
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
