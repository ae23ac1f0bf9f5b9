/**
 * Service stack, dev stage: Fargate backends (Cloud Map), queue processing inside the frontends.
 * The Lambda variant is in lambda-mode.test.ts.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_ENV_NAMES } from '../core/config/backend-config.ts';
import { ENV } from '../core/config/env-names.ts';
import { FRONTEND_ENV_NAMES } from '../core/config/frontend-config.ts';
import { METRICS_ENV_NAMES } from '../core/config/metrics-config.ts';
import { QUEUE_ENV_NAMES } from '../core/config/queue-config.ts';
import { STORAGE_ENV_NAMES } from '../core/config/storage-config.ts';
import {
  BACKEND_OMITTED,
  FRONTEND_OMITTED,
  METRICS_OMITTED,
  QUEUE_OMITTED,
  STORAGE_OMITTED,
} from './env-omissions.ts';
import { BACKEND_ACTIONS, QUEUE_PROCESSOR_ACTIONS, SES_ACTIONS } from './expected-actions.ts';
import {
  ADMIN_PREFIX,
  alarmSummaries,
  autoscaledServices,
  containerEnvNames,
  expectedNames,
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
beforeAll(() => {
  s = synthStage(stage('dev'));
  t = s.serviceTemplate;
});

function sorted(o: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

describe('service stack (Fargate backends, processing in frontends)', () => {
  it('has an internet-facing NLB with TCP listeners 25, 587 and 465', () => {
    // The second NLB is the admin service's (admin-service.test.ts), with its one listener.
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
    });
    const listeners = Object.entries(t.findResources('AWS::ElasticLoadBalancingV2::Listener'))
      .filter(([id]) => !id.startsWith(ADMIN_PREFIX))
      .map(([, l]) => l) as { Properties: { Port: number; Protocol: string } }[];
    expect(listeners.map((l) => [l.Properties.Port, l.Properties.Protocol]).sort()).toEqual([
      [25, 'TCP'],
      [465, 'TCP'],
      [587, 'TCP'],
    ]);
  });

  it('forwards to the container ports with client IP preserved and an HTTP health check', () => {
    const tgs = Object.entries(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))
      .filter(([id]) => !id.startsWith(ADMIN_PREFIX))
      .map(([, g]) => g) as { Properties: Record<string, unknown> }[];
    expect(tgs.map((g) => g.Properties.Port).sort()).toEqual([2465, 2525, 2587]);
    for (const g of tgs) {
      expect(g.Properties).toMatchObject({
        Protocol: 'TCP',
        TargetType: 'ip',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: '/health',
        HealthCheckPort: '8080',
        HealthCheckIntervalSeconds: 10,
      });
      expect(g.Properties.TargetGroupAttributes).toContainEqual({
        Key: 'preserve_client_ip.enabled',
        Value: 'true',
      });
    }
  });

  it('opens the SMTP container ports to anyone and the health port to the VPC only', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Strato frontends'),
      SecurityGroupIngress: [
        ...[2525, 2587, 2465].map((p) =>
          Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: p, ToPort: p, IpProtocol: 'tcp' }),
        ),
        Match.objectLike({
          CidrIp: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
          FromPort: 8080,
          ToPort: 8080,
        }),
      ],
    });
  });

  it('scales the frontends on CPU', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 3,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 60,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });

  it('scales the frontends on open SMTP sessions per task too (Average of SmtpSessionsOpen), and caps each task', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 200,
        CustomizedMetricSpecification: {
          Namespace: 'Strato',
          MetricName: 'SmtpSessionsOpen',
          Statistic: 'Average',
          // (Match.arrayWith keeps the template's order: Service, then Stage.)
          Dimensions: Match.arrayWith([
            { Name: 'Service', Value: 'frontend' },
            { Name: 'Stage', Value: 'dev' },
          ]),
        },
      }),
    });
    const frontendEnv = Object.fromEntries(
      (
        Object.entries(t.findResources('AWS::ECS::TaskDefinition')).find(([id]) =>
          id.startsWith('FrontendTask'),
        )![1] as {
          Properties: { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[] };
        }
      ).Properties.ContainerDefinitions[0]!.Environment.map((e) => [e.Name, e.Value]),
    );
    expect(frontendEnv).toMatchObject({
      [ENV.maxClients]: '500',
      [ENV.metrics]: 'emf',
      [ENV.metricsStage]: 'dev',
      [ENV.metricsService]: 'frontend',
    });
  });

  it('health-checks the backend tasks with a TCP connect to the LMTP port, after the slot wait', () => {
    const backend = Object.entries(t.findResources('AWS::ECS::TaskDefinition')).find(([id]) =>
      id.startsWith('BackendTask'),
    )![1] as {
      Properties: { ContainerDefinitions: { HealthCheck?: { Command: string[]; StartPeriod: number } }[] };
    };
    const hc = backend.Properties.ContainerDefinitions[0]!.HealthCheck!;
    expect(hc.Command.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(hc.Command[3]).toContain("connect(2424, '127.0.0.1')");
    expect(hc.StartPeriod).toBeGreaterThan(180);
    expect(hc).toMatchObject({ Interval: 30, Retries: 3, Timeout: 5 });
  });

  it('leaves the frontend task count to its autoscaling (no DesiredCount); backends keep their fixed count', () => {
    const scaled = autoscaledServices(t);
    expect(scaled).toHaveLength(1);
    expect(scaled).toEqual([[scaled[0]![0], undefined]]);
    // The backend service is not autoscaled (its slot count is STRATO_BACKEND_SLOTS): it keeps one.
    const fixed = Object.entries(t.findResources('AWS::ECS::Service')).filter(
      ([id]) => id !== scaled[0]![0] && !id.startsWith(ADMIN_PREFIX),
    );
    expect(
      fixed.map(([, r]) => (r as { Properties: { DesiredCount?: number } }).Properties.DesiredCount),
    ).toEqual([1]);
  });

  it('runs the backends as a Fargate service registered in Cloud Map, LMTP open to frontends only', () => {
    t.resourceCountIs('AWS::ECS::Service', 3); // frontends, backends, admin
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'backend',
      DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 2424,
      ToPort: 2424,
      SourceSecurityGroupId: Match.anyValue(),
    });
    // CDK's own custom-resource handler (restrict the VPC's default security group) and the SES
    // bounce/complaint consumer: no backend or queue Lambda.
    expect(Object.keys(t.findResources('AWS::Lambda::Function')).sort()).toEqual([
      expect.stringMatching(/^CustomVpcRestrictDefaultSG/),
      expect.stringMatching(/^SesFeedbackFunction/),
    ]);
  });

  it("lets only the backends reach the frontends' internal SMTP port, found through Cloud Map", () => {
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'frontend',
      DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
    });
    const sgs = t.findResources('AWS::EC2::SecurityGroup');
    const idOf = (description: RegExp) =>
      Object.entries(sgs).find(([, r]) => description.test(String(r.Properties.GroupDescription)))![0];
    const frontendSg = idOf(/^Strato frontends/);
    const backendSg = idOf(/^Strato backends/);
    const to2526 = [
      ...Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties),
      ...Object.values(sgs).flatMap((r) => r.Properties.SecurityGroupIngress ?? []),
    ].filter(
      (rule: { FromPort?: number; ToPort?: number }) => rule.FromPort! <= 2526 && rule.ToPort! >= 2526,
    );
    expect(to2526).toEqual([
      expect.objectContaining({
        GroupId: { 'Fn::GetAtt': [frontendSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [backendSg, 'GroupId'] },
        IpProtocol: 'tcp',
      }),
    ]);
  });

  it("gives the backends the frontends' internal address and trusts the backends' subnets only", () => {
    const env = (prefix: string) => {
      const [td] = Object.entries(t.findResources('AWS::ECS::TaskDefinition')).filter(([id]) =>
        id.startsWith(prefix),
      );
      const vars = td![1].Properties.ContainerDefinitions[0].Environment as {
        Name: string;
        Value: unknown;
      }[];
      return Object.fromEntries(vars.map((v) => [v.Name, v.Value]));
    };
    expect(env('BackendTask')).toMatchObject({
      [ENV.generatedMail]: 'queue',
      [ENV.generatedSmtpHost]: 'frontend.dev.strato.internal',
      [ENV.generatedSmtpPort]: '2526',
    });
    const fe = env('FrontendTask');
    expect(fe[ENV.internalSmtpPort]).toBe('2526');
    const privateCidrs = Object.values(t.findResources('AWS::EC2::Subnet'))
      .filter((r) =>
        (r.Properties.Tags as { Key: string; Value: string }[]).some((g) => g.Value === 'Private'),
      )
      .map((r) => r.Properties.CidrBlock as string)
      .sort();
    expect(privateCidrs).toHaveLength(2);
    expect(String(fe[ENV.trustedNetworks]).split(',').sort()).toEqual(privateCidrs);
  });

  it('both task definitions (and the admin one) are arm64 and log to CloudWatch', () => {
    const tds = taskDefinitions(t);
    expect(tds).toHaveLength(2);
    for (const td of Object.values(t.findResources('AWS::ECS::TaskDefinition')) as typeof tds) {
      expect(td.Properties.RuntimePlatform).toEqual({
        CpuArchitecture: 'ARM64',
        OperatingSystemFamily: 'LINUX',
      });
      expect(td.Properties.ContainerDefinitions[0]?.LogConfiguration.LogDriver).toBe('awslogs');
    }
  });

  it('gives the frontend task role exactly the intake + queue processing + SES actions', () => {
    expect(roleActions(t, taskRoleOf(t, 'FrontendTask'))).toEqual(
      sorted({
        ...QUEUE_PROCESSOR_ACTIONS,
        ...SES_ACTIONS,
        // The quota read at RCPT.
        'dynamodb:GetItem': [...QUEUE_PROCESSOR_ACTIONS['dynamodb:GetItem'], 'mailboxes'].sort(),
      }),
    );
  });

  it('gives the backend task role exactly the backend actions', () => {
    expect(roleActions(t, taskRoleOf(t, 'BackendTask'))).toEqual(sorted(BACKEND_ACTIONS));
  });

  it('sets every variable the frontend reads (except the listed omissions)', () => {
    const omitted = {
      ...STORAGE_OMITTED,
      ...FRONTEND_OMITTED,
      ...QUEUE_OMITTED,
      [ENV.backendFunction]: 'Fargate backends are found in the backend registry',
    };
    expect(containerEnvNames(t, 'FrontendTask')).toEqual(
      expectedNames([...FRONTEND_ENV_NAMES, ...QUEUE_ENV_NAMES, ...STORAGE_ENV_NAMES, ...METRICS_ENV_NAMES], {
        ...omitted,
        ...METRICS_OMITTED,
      }),
    );
  });

  it('sets every variable the Fargate backend reads (except the listed omissions)', () => {
    expect(containerEnvNames(t, 'BackendTask')).toEqual(
      expectedNames([...BACKEND_ENV_NAMES, ...STORAGE_ENV_NAMES, ...METRICS_ENV_NAMES], {
        ...STORAGE_OMITTED,
        ...BACKEND_OMITTED,
        ...METRICS_OMITTED,
      }),
    );
  });

  it('passes the SRS and channel secrets from Secrets Manager, not as plain text', () => {
    const tds = taskDefinitions(t);
    for (const td of tds) {
      const c = td.Properties.ContainerDefinitions[0]!;
      expect(c.Secrets).toEqual([
        { Name: ENV.srsSecret, ValueFrom: expect.anything() },
        { Name: ENV.channelSecret, ValueFrom: expect.anything() },
      ]);
      const plain = c.Environment.map((e: { Name: string }) => e.Name);
      expect(plain).not.toContain(ENV.srsSecret);
      expect(plain).not.toContain(ENV.channelSecret);
      // ECS reads them at task start with the execution role: exactly these two, nothing wider.
      const executionRole = td.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
      expect(roleActions(t, executionRole)['secretsmanager:GetSecretValue']).toEqual([
        'channel-secret',
        'srs-secret',
      ]);
    }
  });

  it('has an SES configuration set, and alarms on queue age, DLQ depth and frontend health', () => {
    t.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    t.resourceCountIs('AWS::SES::EmailIdentity', 0);
    // The rest (application and platform alarms) are asserted one by one in alarms.test.ts.
    expect(alarmSummaries(t)).toEqual(
      expect.arrayContaining([
        ['ApproximateAgeOfOldestMessage', 'GreaterThanThreshold', 1800],
        ['ApproximateNumberOfMessagesVisible', 'GreaterThanThreshold', 0],
        ['HealthyHostCount', 'LessThanThreshold', 1],
        ['Reputation.BounceRate', 'GreaterThanThreshold', 0.05],
      ]),
    );
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { AlarmActions: unknown[] };
    }[]) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    }
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
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

describe('service stack, static cluster (cluster: static)', () => {
  it('gives the backends slot ids (one slot per task) and pins accounts in the processors', () => {
    const st = synthStage(stage('dev', { cluster: 'static', backend: { mode: 'fargate', desiredCount: 3 } }));
    const env = (prefix: string) => {
      const td = taskDefinitions(st.serviceTemplate).find((d) =>
        (d.Properties.ContainerDefinitions[0]!.Environment as { Name: string }[]).some((e) =>
          prefix === 'backend' ? e.Name === ENV.backendSlots : e.Name === ENV.backendMode,
        ),
      )!;
      const vars = td.Properties.ContainerDefinitions[0]!.Environment as { Name: string; Value: string }[];
      return Object.fromEntries(vars.map((e) => [e.Name, e.Value]));
    };
    expect(env('backend')).toMatchObject({ [ENV.backendSlots]: '3', [ENV.backendSlotWaitMs]: '180000' });
    expect(env('backend')[ENV.backendId]).toBeUndefined();
    expect(env('frontend')[ENV.backendMode]).toBe('static');
  });
});

describe('service stack, autoscaled Fargate backends (backend.maxTasks)', () => {
  it('scales the backends on CPU between desiredCount and maxTasks, with a slot for every task', () => {
    const st = synthStage(stage('dev', { backend: { mode: 'fargate', desiredCount: 2, maxTasks: 5 } }));
    const t = st.serviceTemplate;
    const backend = Object.entries(t.findResources('AWS::ECS::Service')).find(([id]) =>
      id.startsWith('Backend'),
    );
    expect(backend).toBeDefined();
    expect((backend![1] as { Properties: Record<string, unknown> }).Properties.DesiredCount).toBeUndefined();
    const targets = Object.entries(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    const backendTarget = targets.find(([id]) => id.startsWith('Backend'));
    expect(backendTarget?.[1]).toMatchObject({ Properties: { MinCapacity: 2, MaxCapacity: 5 } });
    const slots = taskDefinitions(t)
      .flatMap((d) => d.Properties.ContainerDefinitions[0]!.Environment as { Name: string; Value: string }[])
      .find((e) => e.Name === ENV.backendSlots);
    expect(slots?.Value).toBe('5');
  });

  it('keeps a fixed count without maxTasks, and refuses scaling for a static cluster', () => {
    const fixed = Object.entries(
      synthStage(stage('dev')).serviceTemplate.findResources('AWS::ECS::Service'),
    ).find(([id]) => id.startsWith('Backend'));
    expect((fixed![1] as { Properties: Record<string, unknown> }).Properties.DesiredCount).toBe(1);
    expect(() =>
      stage('dev', { cluster: 'static', backend: { mode: 'fargate', desiredCount: 2, maxTasks: 4 } }),
    ).toThrow(/backend\.maxTasks: a static cluster's homes name backend slots/);
    expect(() => stage('dev', { backend: { mode: 'fargate', desiredCount: 3, maxTasks: 2 } })).toThrow(
      /backend\.maxTasks: less than desiredCount/,
    );
  });
});
