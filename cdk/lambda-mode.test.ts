/**
 * Service stack, prod stage: backends as the backend Lambda, queue processing as the queue Lambda
 * (SQS event source with ReportBatchItemFailures), SES identity with Easy DKIM.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_ENV_NAMES } from '../core/config/backend-config.ts';
import { ENV } from '../core/config/env-names.ts';
import { METRICS_ENV_NAMES } from '../core/config/metrics-config.ts';
import { QUEUE_ENV_NAMES } from '../core/config/queue-config.ts';
import { STORAGE_ENV_NAMES } from '../core/config/storage-config.ts';
import { LAMBDA_NODE_ENVIRONMENT } from './constructs/bundling.ts';
import {
  BACKEND_LAMBDA_OMITTED,
  LAMBDA_OMITTED,
  METRICS_OMITTED,
  QUEUE_OMITTED,
  STORAGE_OMITTED,
} from './env-omissions.ts';
import { BACKEND_ACTIONS, QUEUE_PROCESSOR_ACTIONS, SES_ACTIONS } from './expected-actions.ts';
import {
  alarmSummaries,
  containerEnvNames,
  expectedNames,
  functionEnvNames,
  functionRoleOf,
  logicalId,
  normalisedTemplate,
  roleActions,
  type Synthesized,
  stage,
  synthStage,
  taskDefinitions,
  taskRoleOf,
} from './test-support.ts';

let s: Synthesized;
let t: Template;
/** Node's own variables every Lambda gets (source-mapped stack traces). */
const NODE_NAMES = Object.keys(LAMBDA_NODE_ENVIRONMENT);
beforeAll(() => {
  s = synthStage(stage('prod'));
  t = s.serviceTemplate;
});

function fnProps(prefix: string): {
  Timeout: number;
  ReservedConcurrentExecutions?: number;
  Environment?: unknown;
} {
  const id = logicalId(t, 'AWS::Lambda::Function', prefix);
  return (t.findResources('AWS::Lambda::Function')[id] as { Properties: { Timeout: number } }).Properties;
}

function sorted(o: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

describe('service stack (Lambda backends, queue Lambda)', () => {
  it('runs both Lambdas on nodejs22.x arm64, and no backend service', () => {
    for (const prefix of ['BackendLambdaFunction', 'QueueLambdaFunction']) {
      const id = logicalId(t, 'AWS::Lambda::Function', prefix);
      expect(
        (t.findResources('AWS::Lambda::Function')[id] as { Properties: unknown }).Properties,
      ).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
    t.resourceCountIs('AWS::ECS::Service', 2); // the frontends and the admin service
    t.resourceCountIs('AWS::ServiceDiscovery::Service', 0);
  });

  it('feeds the queue Lambda from the mail queue with partial batch failures', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(t, 'AWS::Lambda::Function', 'QueueLambdaFunction') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('MailQueue[0-9A-F]{8}Arn') },
    });
  });

  it('caps the event source and reserves the backend function concurrency, from the stage config', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(t, 'AWS::Lambda::Function', 'QueueLambdaFunction') },
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    expect(fnProps('BackendLambdaFunction').ReservedConcurrentExecutions).toBe(20);
    // The queue function is limited by its event source, not by a reservation.
    expect(fnProps('QueueLambdaFunction').ReservedConcurrentExecutions).toBeUndefined();
  });

  it("gives each function its own timeout, and the queue at least six times the queue function's", () => {
    expect(fnProps('QueueLambdaFunction').Timeout).toBe(60);
    expect(fnProps('BackendLambdaFunction').Timeout).toBe(30);
    const queues = Object.entries(s.statefulTemplate.findResources('AWS::SQS::Queue')) as [
      string,
      { Properties: { VisibilityTimeout?: number } },
    ][];
    const [, main] = queues.find(([id]) => !id.includes('DeadLetter'))!;
    expect(main.Properties.VisibilityTimeout).toBe(360);
    expect(main.Properties.VisibilityTimeout!).toBeGreaterThanOrEqual(
      6 * fnProps('QueueLambdaFunction').Timeout,
    );
  });

  it('runs the queue function on a schedule for the dead-letter sweep', () => {
    const fn = logicalId(t, 'AWS::Lambda::Function', 'QueueLambdaFunction');
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fn, 'Arn'] },
      Principal: 'events.amazonaws.com',
    });
  });

  it('turns queue processing off in the frontends', () => {
    const [td] = taskDefinitions(t);
    expect(td?.Properties.ContainerDefinitions[0]?.Environment).toContainEqual({
      Name: ENV.queueProcessing,
      Value: 'false',
    });
    expect(containerEnvNames(t, 'FrontendTask')).not.toContain(ENV.relay);
  });

  it('gives the queue Lambda the queue-processing actions, SES and invoke of the backend Lambda', () => {
    expect(roleActions(t, functionRoleOf(t, 'QueueLambdaFunction'))).toEqual(
      sorted({
        ...QUEUE_PROCESSOR_ACTIONS,
        ...SES_ACTIONS,
        'lambda:InvokeFunction': ['backend-lambda'],
        // Added by the SQS event source mapping's consume grant (main queue only).
        'sqs:GetQueueUrl': ['queue'],
      }),
    );
  });

  it("keeps every secret out of the Lambdas' configuration", () => {
    for (const prefix of ['BackendLambdaFunction', 'QueueLambdaFunction']) {
      const vars = JSON.stringify(fnProps(prefix).Environment ?? {});
      expect(vars).not.toContain('resolve:secretsmanager');
      expect(functionEnvNames(t, prefix)).not.toContain(ENV.srsSecret);
    }
    expect(functionEnvNames(t, 'BackendLambdaFunction')).toContain(ENV.srsSecretId);
  });

  it('gives the backend Lambda exactly the backend actions', () => {
    expect(roleActions(t, functionRoleOf(t, 'BackendLambdaFunction'))).toEqual(
      sorted({
        ...BACKEND_ACTIONS,
        // The SRS secret, read at cold start instead of sitting in the function's configuration.
        'secretsmanager:DescribeSecret': ['srs-secret'],
        'secretsmanager:GetSecretValue': ['srs-secret'],
      }),
    );
  });

  it("reads the TLS certificate from the stage's secret, by name, and never falls back to self-signed", () => {
    const actions = roleActions(t, taskRoleOf(t, 'FrontendTask'));
    const secretActions = Object.fromEntries(
      Object.entries(actions).filter(([a]) => a.startsWith('secretsmanager:')),
    );
    expect(secretActions).toEqual({
      'secretsmanager:DescribeSecret': ['tls-secret'],
      'secretsmanager:GetSecretValue': ['tls-secret'],
    });
    const env = taskDefinitions(t)[0]?.Properties.ContainerDefinitions[0]?.Environment ?? [];
    expect(env).toContainEqual({ Name: ENV.tlsSecret, Value: 'strato/prod/tls' });
    expect(env).toContainEqual({ Name: ENV.tlsSelfSignedAllowed, Value: 'false' });
  });

  it('gives the frontend no SES, Lambda or queue-consumer rights when the queue Lambda processes', () => {
    const actions = Object.keys(roleActions(t, taskRoleOf(t, 'FrontendTask')));
    expect(actions.filter((a) => a.startsWith('ses:') || a.startsWith('lambda:'))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('sqs:')).sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:SendMessage',
    ]);
  });

  it('sets every variable the queue Lambda reads (except the listed omissions)', () => {
    // The queue Lambda reads the queue and storage config, and only hostname/logLevel/dataDir of the frontend's.
    expect(functionEnvNames(t, 'QueueLambdaFunction')).toEqual(
      expectedNames(
        [
          ...QUEUE_ENV_NAMES,
          ...STORAGE_ENV_NAMES,
          ...METRICS_ENV_NAMES,
          ENV.hostname,
          ENV.logLevel,
          ENV.dataDir,
          ...NODE_NAMES,
        ],
        { ...METRICS_OMITTED, ...STORAGE_OMITTED, ...QUEUE_OMITTED, ...LAMBDA_OMITTED },
      ),
    );
  });

  it('sets every variable the backend Lambda reads (except the listed omissions)', () => {
    expect(functionEnvNames(t, 'BackendLambdaFunction')).toEqual(
      expectedNames([...BACKEND_ENV_NAMES, ...STORAGE_ENV_NAMES, ...METRICS_ENV_NAMES, ...NODE_NAMES], {
        ...METRICS_OMITTED,
        ...STORAGE_OMITTED,
        ...BACKEND_LAMBDA_OMITTED,
        ...LAMBDA_OMITTED,
      }),
    );
  });

  it('creates the SES domain identity with Easy DKIM on the configuration set', () => {
    t.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'example.com',
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: Match.anyValue() } },
    });
  });

  it('alarms on Lambda errors', () => {
    expect(alarmSummaries(t).filter(([m]) => m === 'Errors')).toEqual([
      ['Errors', 'GreaterThanThreshold', 0],
      ['Errors', 'GreaterThanThreshold', 0],
    ]);
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings (both stacks)', () => {
    const report = new AwsSolutionsChecks().validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });

  it('matches the snapshot', () => {
    expect(normalisedTemplate(t)).toMatchSnapshot();
  });
});
