/**
 * Storage and network hygiene of a deployment, as the templates say it: old mailbox versions
 * expire, S3 and DynamoDB traffic takes gateway endpoints, the NLB of a stage that keeps its data
 * cannot be deleted by accident, every log group has a retention, Lambdas map stack traces to the
 * sources, and queue processors long-poll SQS.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/config/env-names.ts';
import { MAILBOX_NONCURRENT_DAYS } from './constructs/mail-storage.ts';
import { SQS_LONG_POLL_MS } from './constructs/roles-env.ts';
import { stage, synthStage, taskDefinitions } from './test-support.ts';

let prod: { stateful: Template; service: Template };
let dev: { service: Template };
beforeAll(() => {
  const p = synthStage(stage('prod'));
  prod = { stateful: p.statefulTemplate, service: p.serviceTemplate };
  dev = { service: synthStage(stage('dev')).serviceTemplate };
});

describe('storage and network hygiene', () => {
  it('expires noncurrent mailbox versions', () => {
    prod.stateful.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'expire-noncurrent',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: MAILBOX_NONCURRENT_DAYS },
          }),
        ]),
      },
    });
  });

  it('routes S3 and DynamoDB through gateway endpoints', () => {
    const endpoints = Object.values(prod.service.findResources('AWS::EC2::VPCEndpoint')) as {
      Properties: { VpcEndpointType?: string; ServiceName: unknown };
    }[];
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(endpoints.every((e) => (e.Properties.VpcEndpointType ?? 'Gateway') === 'Gateway')).toBe(true);
    expect(services.some((s) => s.includes('.s3'))).toBe(true);
    expect(services.some((s) => s.includes('.dynamodb'))).toBe(true);
  });

  it('protects the NLB from deletion where the stage keeps its data, and only there', () => {
    const attr = { Key: 'deletion_protection.enabled', Value: 'true' };
    prod.service.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([attr]),
    });
    const devLb = Object.values(
      dev.service.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    )[0] as {
      Properties: { LoadBalancerAttributes?: unknown[] };
    };
    expect(devLb.Properties.LoadBalancerAttributes ?? []).not.toContainEqual(attr);
  });

  it('gives every log group a retention, the flow logs' + "' 90 days", () => {
    for (const t of [prod.service, dev.service]) {
      const groups = Object.values(t.findResources('AWS::Logs::LogGroup')) as {
        Properties: { RetentionInDays?: number };
      }[];
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(g.Properties.RetentionInDays).toBeGreaterThan(0);
    }
    prod.service.hasResourceProperties('AWS::EC2::FlowLog', {
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: Match.anyValue(),
    });
    prod.service.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    for (const fn of Object.values(prod.service.findResources('AWS::Lambda::Function')) as {
      Properties: {
        LoggingConfig?: { LogGroup?: unknown };
        Environment?: { Variables: Record<string, unknown> };
      };
    }[]) {
      if (!fn.Properties.Environment?.Variables[ENV.storage]) continue; // CDK's own helper functions
      expect(fn.Properties.LoggingConfig?.LogGroup).toBeDefined();
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('long-polls SQS in the queue processors', () => {
    const [frontend] = taskDefinitions(dev.service);
    expect(frontend?.Properties.ContainerDefinitions[0]?.Environment).toContainEqual({
      Name: ENV.queuePollWaitMs,
      Value: String(SQS_LONG_POLL_MS),
    });
  });
});
