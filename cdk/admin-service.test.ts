/**
 * The admin API and WebAdmin service (cdk/constructs/admin-service.ts): its task role's exact
 * actions, the security group (allowedCidrs only; nothing by default), the environment, the
 * listener, and the stage config's refusal of 0.0.0.0/0.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ENV_NAMES } from '../core/config/admin-config.ts';
import { ENV } from '../core/config/env-names.ts';
import { STORAGE_ENV_NAMES } from '../core/config/storage-config.ts';
import { StageConfigError } from './config.ts';
import { ADMIN_CONTAINER_PORT, ipv4CidrProblem } from './config-admin.ts';
import { ADMIN_OMITTED, STORAGE_OMITTED } from './env-omissions.ts';
import {
  containerEnvNames,
  expectedNames,
  logicalId,
  roleActions,
  type Synthesized,
  stage,
  synthStage,
  taskRoleOf,
} from './test-support.ts';

/** The admin use cases' actions (ARCHITECTURE.md "On AWS", the CLI/admin row). */
const ADMIN_ACTIONS = {
  'dynamodb:DeleteItem': ['coordination', 'directory', 'queue-index'],
  'dynamodb:GetItem': ['coordination', 'directory', 'queue-index'],
  'dynamodb:PutItem': ['coordination', 'directory', 'queue-index'],
  'dynamodb:Query': ['coordination', 'directory', 'directory/index/list', 'history'],
  'dynamodb:Scan': ['queue-index'],
  'dynamodb:UpdateItem': ['coordination', 'directory', 'queue-index'],
  's3:AbortMultipartUpload': ['spool/*'],
  's3:DeleteObject': ['spool/*'],
  's3:GetObject': ['spool/*'],
  's3:PutObject': ['spool/*'],
  'sqs:ChangeMessageVisibility': ['dlq', 'queue'],
  'sqs:DeleteMessage': ['dlq', 'queue'],
  'sqs:GetQueueAttributes': ['dlq', 'queue'],
  'sqs:ReceiveMessage': ['dlq', 'queue'],
  'sqs:SendMessage': ['dlq', 'queue'],
  'secretsmanager:DescribeSecret': ['admin-first-password'],
  'secretsmanager:GetSecretValue': ['admin-first-password'],
};

type Json = Record<string, unknown>;

function adminEnv(t: Template): Record<string, unknown> {
  const td =
    t.findResources('AWS::ECS::TaskDefinition')[logicalId(t, 'AWS::ECS::TaskDefinition', 'AdminTask')]!;
  const vars = td.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[];
  return Object.fromEntries(vars.map((v) => [v.Name, v.Value]));
}

function adminIngress(t: Template): { CidrIp?: string; FromPort: number; ToPort: number }[] {
  const sg =
    t.findResources('AWS::EC2::SecurityGroup')[
      logicalId(t, 'AWS::EC2::SecurityGroup', 'AdminTaskSecurityGroup')
    ]!;
  const inline = ((sg.Properties as Json).SecurityGroupIngress ?? []) as {
    CidrIp?: string;
    FromPort: number;
    ToPort: number;
  }[];
  return inline;
}

describe('admin service, dev stage (default admin config)', () => {
  let s: Synthesized;
  let t: Template;
  beforeAll(() => {
    s = synthStage(stage('dev'));
    t = s.serviceTemplate;
  });

  it("gives the admin task role exactly the admin use cases' actions", () => {
    expect(roleActions(t, taskRoleOf(t, 'AdminTask'))).toEqual(ADMIN_ACTIONS);
  });

  it('opens the admin port to no address by default: only the VPC, for the NLB health check', () => {
    expect(adminIngress(t)).toEqual([
      expect.objectContaining({
        CidrIp: { 'Fn::GetAtt': [expect.stringMatching(/^Vpc/), 'CidrBlock'] },
        FromPort: ADMIN_CONTAINER_PORT,
        ToPort: ADMIN_CONTAINER_PORT,
      }),
    ]);
  });

  it('listens on 0.0.0.0 in the task with the first password from a generated secret', () => {
    const env = adminEnv(t);
    expect(env).toMatchObject({
      [ENV.adminHost]: '0.0.0.0',
      [ENV.adminPort]: String(ADMIN_CONTAINER_PORT),
      [ENV.storage]: 'aws',
      [ENV.tlsSelfSignedAllowed]: 'true',
    });
    expect(JSON.stringify(env[ENV.adminFirstPasswordSecretId])).toMatch(/AdminFirstPassword/);
    const secrets = Object.keys(t.findResources('AWS::SecretsManager::Secret'));
    expect(secrets.filter((id) => id.startsWith('AdminFirstPassword'))).toHaveLength(1);
    const td =
      t.findResources('AWS::ECS::TaskDefinition')[logicalId(t, 'AWS::ECS::TaskDefinition', 'AdminTask')]!;
    expect(td.Properties.ContainerDefinitions[0].Command).toEqual(['admin']);
  });

  it('sets every variable the admin process reads (except the listed omissions)', () => {
    expect(containerEnvNames(t, 'AdminTask')).toEqual(
      expectedNames([...ADMIN_ENV_NAMES, ...STORAGE_ENV_NAMES], { ...STORAGE_OMITTED, ...ADMIN_OMITTED }),
    );
  });

  it('puts a TCP listener on 443 of its own NLB, client IPs preserved, TCP health check', () => {
    const nlbs = Object.keys(t.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    const nlb = logicalId(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AdminNlb');
    expect(nlbs).toContain(nlb);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: nlb },
      Port: 443,
      Protocol: 'TCP',
    });
    const tg = t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')[
      logicalId(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AdminNlbHttpsListenerHttpsTargets')
    ]!.Properties as Json;
    expect(tg).toMatchObject({ Port: ADMIN_CONTAINER_PORT, Protocol: 'TCP', HealthCheckProtocol: 'TCP' });
    expect(tg.TargetGroupAttributes).toContainEqual({ Key: 'preserve_client_ip.enabled', Value: 'true' });
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = new AwsSolutionsChecks().validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });
});

describe('admin service, prod stage with allow-listed networks', () => {
  let t: Template;
  beforeAll(() => {
    t = synthStage(
      stage('prod', { admin: { allowedCidrs: ['203.0.113.0/24', '198.51.100.7/32'], port: 8443 } }),
    ).serviceTemplate;
  });

  it('opens the admin port to exactly the allowed networks (and the VPC for health checks)', () => {
    const cidrs = adminIngress(t)
      .map((r) => r.CidrIp)
      .filter((c) => typeof c === 'string');
    expect(cidrs.sort()).toEqual(['198.51.100.7/32', '203.0.113.0/24']);
    for (const r of adminIngress(t))
      expect([r.FromPort, r.ToPort]).toEqual([ADMIN_CONTAINER_PORT, ADMIN_CONTAINER_PORT]);
  });

  it("reads the frontends' certificate secret, and nothing more than the dev stage otherwise", () => {
    expect(adminEnv(t)).toMatchObject({
      [ENV.tlsSecret]: 'strato/prod/tls',
      [ENV.tlsSelfSignedAllowed]: 'false',
    });
    const actions = roleActions(t, taskRoleOf(t, 'AdminTask'));
    expect(actions).toEqual({
      ...ADMIN_ACTIONS,
      'secretsmanager:DescribeSecret': ['admin-first-password', 'tls-secret'],
      'secretsmanager:GetSecretValue': ['admin-first-password', 'tls-secret'],
    });
  });

  it('listens on the configured port', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8443, Protocol: 'TCP' });
  });
});

describe('admin stage config', () => {
  const dev = (admin: unknown) => stage('dev', { admin });

  it('defaults to deployed, reachable from nowhere, one task on 443', () => {
    expect(stage('dev').admin).toEqual({
      enabled: true,
      allowedCidrs: [],
      allowAnywhere: false,
      port: 443,
      cpu: 256,
      memoryMiB: 512,
      desiredCount: 1,
    });
  });

  it('refuses 0.0.0.0/0 unless allowAnywhere says so', () => {
    expect(() => dev({ allowedCidrs: ['0.0.0.0/0'] })).toThrow(StageConfigError);
    expect(() => dev({ allowedCidrs: ['0.0.0.0/0'] })).toThrow(/admin\.allowedCidrs\.0: 0\.0\.0\.0\/0 opens/);
    expect(dev({ allowedCidrs: ['0.0.0.0/0'], allowAnywhere: true }).admin.allowedCidrs).toEqual([
      '0.0.0.0/0',
    ]);
  });

  it('refuses what is not an IPv4 network', () => {
    expect(() =>
      dev({ allowedCidrs: ['203.0.113.0/24', '203.0.113.5/24', 'example.com', '2001:db8::/32'] }),
    ).toThrow(
      /admin\.allowedCidrs\.1: .*network is 203\.0\.113\.0\/24[\s\S]*allowedCidrs\.2[\s\S]*allowedCidrs\.3/,
    );
    expect(ipv4CidrProblem('10.0.0.0/8')).toBeUndefined();
    expect(ipv4CidrProblem('256.0.0.0/8')).toMatch(/octet/);
    expect(ipv4CidrProblem('10.0.0.0/33')).toMatch(/prefix/);
  });

  it('opens the admin to any address only with allowAnywhere, acknowledged for cdk-nag as the stage chose', () => {
    const s = synthStage(dev({ allowedCidrs: ['0.0.0.0/0'], allowAnywhere: true }));
    expect(adminIngress(s.serviceTemplate).map((r) => r.CidrIp)).toContain('0.0.0.0/0');
    const report = new AwsSolutionsChecks().validateScope(s.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('deploys no admin service when disabled', () => {
    const t = synthStage(dev({ enabled: false })).serviceTemplate;
    expect(
      Object.keys(t.findResources('AWS::ECS::TaskDefinition')).filter((id) => id.startsWith('Admin')),
    ).toEqual([]);
  });
});
