/**
 * SES sending identities: one EmailIdentity per domain of the stage (sesIdentityDomain and
 * ses.domains) with Easy DKIM and a custom MAIL FROM domain, an output of the DNS records per
 * domain, and the send grant of the relaying roles (exact actions and resources).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStageConfig, sesDomains } from './config.ts';
import { logicalId, roleActions, type Synthesized, stage, synthStage } from './test-support.ts';

let s: Synthesized;
let t: Template;
beforeAll(() => {
  s = synthStage(
    stage('prod', {
      ses: { domains: [{ domain: 'example.org', mailFromSubdomain: 'mail' }, { domain: 'example.net' }] },
    }),
  );
  t = s.serviceTemplate;
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

describe('SES identities', () => {
  it('lists sesIdentityDomain first, then ses.domains; refuses a domain listed twice', () => {
    const c = stage('prod', { ses: { domains: [{ domain: 'example.org' }] } });
    expect(sesDomains(c)).toEqual([
      { domain: 'example.com', mailFromSubdomain: 'bounce' },
      { domain: 'example.org', mailFromSubdomain: 'bounce' },
    ]);
    const bad = (domains: unknown[]) => () =>
      parseStageConfig({
        stage: 'dev',
        hostname: 'mx.example.com',
        bounceAddress: 'postmaster@example.com',
        ses: { domains },
      });
    expect(bad([{ domain: 'a.example' }, { domain: 'a.example' }])).toThrow(
      /ses\.domains\.1\.domain: a\.example is listed twice/,
    );
    expect(bad([{ domain: 'Bad_Domain' }])).toThrow(/ses\.domains\.0\.domain: a lower-case domain name/);
    expect(bad([{ domain: 'a.example', mailFromSubdomain: 'x.y' }])).toThrow(
      /mailFromSubdomain: one DNS label/,
    );
  });

  it('makes one identity per domain with Easy DKIM and a custom MAIL FROM domain', () => {
    t.resourceCountIs('AWS::SES::EmailIdentity', 3);
    for (const [domain, mailFrom] of [
      ['example.com', 'bounce.example.com'],
      ['example.org', 'mail.example.org'],
      ['example.net', 'bounce.example.net'],
    ]) {
      t.hasResourceProperties('AWS::SES::EmailIdentity', {
        EmailIdentity: domain,
        MailFromAttributes: { MailFromDomain: mailFrom, BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
        ConfigurationSetAttributes: { ConfigurationSetName: Match.anyValue() },
      });
    }
    // The stage's original identity keeps its logical id (its DKIM tokens survive the upgrade).
    expect(
      Object.keys(t.findResources('AWS::SES::EmailIdentity')).some((id) =>
        /^OutboundIdentity[0-9A-F]{8}$/.test(id),
      ),
    ).toBe(true);
  });

  it('outputs the DNS records of each domain', () => {
    const outputs = t.findOutputs('*') as Record<string, { Value: unknown; Description: string }>;
    const ses = Object.entries(outputs).filter(([id]) => id.startsWith('OutboundDnsRecords'));
    expect(ses.map(([, o]) => o.Description).sort()).toEqual([
      'SES records to publish for example.com (Easy DKIM, MAIL FROM bounce.example.com)',
      'SES records to publish for example.net (Easy DKIM, MAIL FROM bounce.example.net)',
      'SES records to publish for example.org (Easy DKIM, MAIL FROM mail.example.org)',
    ]);
    const org = JSON.stringify(ses.find(([, o]) => o.Description.includes('example.org'))?.[1].Value);
    expect(org).toContain('mail.example.org MX 10 feedback-smtp.');
    expect(org).toContain('mail.example.org TXT \\"v=spf1 include:amazonses.com -all\\"');
    expect(org.match(/ CNAME /g)).toHaveLength(3);
  });

  it('lets the relaying roles send as any identity of the account, through the configuration set only', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    }[];
    const sesStatements = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('ses:')));
    expect(sesStatements.length).toBeGreaterThan(0);
    for (const st of sesStatements) {
      expect(st.Effect).toBe('Allow');
      expect([st.Action].flat().sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      const resources = JSON.stringify(st.Resource);
      // Every identity of the stage (and domains added later with aws sesv2) is under identity/*.
      expect(resources).toMatch(
        /:ses:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":identity\/\*"/,
      );
      expect(resources).toMatch(/:configuration-set\/",\{"Ref":"OutboundConfigurationSet[0-9A-F]{8}"\}/);
      expect([st.Resource].flat()).toHaveLength(2);
    }
  });
});

describe('SES feedback', () => {
  it('publishes bounces and complaints of the configuration set to a TLS-only topic the consumer Lambda reads', () => {
    t.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        SnsDestination: { TopicARN: { Ref: Match.stringLikeRegexp('^SesFeedbackTopic') } },
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('^SesFeedbackTopic') },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SesFeedbackFunction'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Strato SES bounce and complaint consumer (prod)',
      Environment: {
        Variables: Match.objectLike({
          STRATO_BOUNCE_ADDRESS: 'postmaster@example.com',
          STRATO_HOSTNAME: 'mx.example.com',
        }),
      },
    });
  });

  it('gives the consumer exactly: directory reads, coordination puts, spool puts, queue send', () => {
    const role = logicalId(t, 'AWS::IAM::Role', 'SesFeedbackFunctionServiceRole');
    expect(roleActions(t, role)).toEqual({
      'dynamodb:GetItem': ['directory', 'directory/index/list'],
      'dynamodb:PutItem': ['coordination', 'queue-index'],
      'dynamodb:DeleteItem': ['queue-index'],
      'dynamodb:Query': ['directory', 'directory/index/list'],
      's3:PutObject': ['spool/*'],
      'sqs:SendMessage': ['queue'],
    });
  });
});
