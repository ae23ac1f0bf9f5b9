/**
 * Service stack, split stage: a processing frontend service (group `processing`) and an
 * intake-only one (`frontend.intake`, group `intake`) behind the same NLB listeners, each with its
 * own task counts and CPU scaling, Fargate backends.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../core/config/env-names.ts';
import { FRONTEND_ENV_NAMES } from '../core/config/frontend-config.ts';
import { METRICS_ENV_NAMES } from '../core/config/metrics-config.ts';
import { QUEUE_ENV_NAMES } from '../core/config/queue-config.ts';
import { STORAGE_ENV_NAMES } from '../core/config/storage-config.ts';
import { FRONTEND_OMITTED, METRICS_OMITTED, QUEUE_OMITTED, STORAGE_OMITTED } from './env-omissions.ts';
import { QUEUE_PROCESSOR_ACTIONS, SES_ACTIONS } from './expected-actions.ts';
import {
  alarmSummaries,
  alarmsByName,
  autoscaledServices,
  containerEnvNames,
  expectedNames,
  logicalId,
  roleActions,
  type Synthesized,
  stage,
  synthStage,
  taskRoleOf,
} from './test-support.ts';

let s: Synthesized;
let t: Template;
beforeAll(() => {
  // Without the admin service (admin-service.test.ts): this file counts the mail path's resources.
  s = synthStage(stage('split', { admin: { enabled: false } }));
  t = s.serviceTemplate;
});

interface ServiceJson {
  Properties: {
    TaskDefinition: { Ref: string };
    DesiredCount?: number;
    LoadBalancers?: { ContainerName: string; ContainerPort: number; TargetGroupArn: { Ref: string } }[];
    ServiceRegistries?: unknown[];
    NetworkConfiguration: { AwsvpcConfiguration: { SecurityGroups: unknown[] } };
  };
  DependsOn?: string[];
}

/** The ECS service whose task definition's logical id starts with `taskPrefix`. */
function service(taskPrefix: string): [string, ServiceJson] {
  const td = logicalId(t, 'AWS::ECS::TaskDefinition', taskPrefix);
  const found = Object.entries(t.findResources('AWS::ECS::Service')).filter(
    ([, r]) => (r as ServiceJson).Properties.TaskDefinition.Ref === td,
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, ServiceJson];
}

function env(taskPrefix: string): Record<string, unknown> {
  const td =
    t.findResources('AWS::ECS::TaskDefinition')[logicalId(t, 'AWS::ECS::TaskDefinition', taskPrefix)]!;
  const vars = td.Properties.ContainerDefinitions[0].Environment as { Name: string; Value: unknown }[];
  return Object.fromEntries(vars.map((v) => [v.Name, v.Value]));
}

const MAIN = 'FrontendTask';
const INTAKE = 'FrontendIntakeTask';

describe('service stack with a processing and an intake-only frontend service (split stage)', () => {
  it('runs two frontend services (and the backends) with their own group and processing default', () => {
    t.resourceCountIs('AWS::ECS::Service', 3);
    expect(env(MAIN)).toMatchObject({ [ENV.frontendGroup]: 'processing', [ENV.queueProcessing]: 'true' });
    expect(env(INTAKE)).toMatchObject({ [ENV.frontendGroup]: 'intake', [ENV.queueProcessing]: 'false' });
    // Same queue settings otherwise, so a runtime `processing` setting can switch either group on.
    for (const name of [ENV.queueConcurrency, ENV.queueVisibilitySeconds, ENV.backendMode, ENV.hostname]) {
      expect(env(INTAKE)[name]).toEqual(env(MAIN)[name]);
    }
  });

  it('leaves the task count of both frontend services to their autoscaling: no DesiredCount', () => {
    // A DesiredCount would reset a scaled-out service to it at every deploy.
    for (const name of [MAIN, INTAKE]) expect(service(name)[1].Properties.DesiredCount).toBeUndefined();
    expect(
      autoscaledServices(t)
        .map(([id]) => id)
        .sort(),
    ).toEqual([service(MAIN)[0], service(INTAKE)[0]].sort());
    expect(autoscaledServices(t).filter(([, count]) => count !== undefined)).toEqual([]);
  });

  it('registers both services in the same target groups of the one NLB on 25, 587 and 465', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const listeners = t.findResources('AWS::ElasticLoadBalancingV2::Listener') as Record<
      string,
      { Properties: { Port: number; DefaultActions: { TargetGroupArn: { Ref: string } }[] } }
    >;
    const tgByPublicPort = Object.fromEntries(
      Object.values(listeners).map((l) => [
        l.Properties.Port,
        l.Properties.DefaultActions[0]!.TargetGroupArn.Ref,
      ]),
    );
    expect(Object.keys(tgByPublicPort).sort()).toEqual(['25', '465', '587']);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 3);
    const expected = [
      { ContainerName: 'frontend', ContainerPort: 2525, TargetGroupArn: { Ref: tgByPublicPort[25] } },
      { ContainerName: 'frontend', ContainerPort: 2587, TargetGroupArn: { Ref: tgByPublicPort[587] } },
      { ContainerName: 'frontend', ContainerPort: 2465, TargetGroupArn: { Ref: tgByPublicPort[465] } },
    ];
    for (const prefix of [MAIN, INTAKE]) {
      const [, svc] = service(prefix);
      expect(svc.Properties.LoadBalancers).toEqual(expected);
      // ECS refuses a target group that no listener uses yet: each service waits for the listeners.
      for (const listenerId of Object.keys(listeners)) expect(svc.DependsOn).toContain(listenerId);
    }
    // One MX host for both.
    expect(Object.keys(t.toJSON().Outputs ?? {}).filter((o) => o.includes('MxHostTarget'))).toHaveLength(1);
  });

  it('scales each service on CPU and on its own open sessions per task, within its own task counts', () => {
    const targets = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map(
      (r) => ({
        min: r.Properties.MinCapacity as number,
        max: r.Properties.MaxCapacity as number,
        service: JSON.stringify(r.Properties.ResourceId).match(/"Fn::GetAtt":\["([^"]+)","Name"\]/)?.[1],
      }),
    );
    expect(targets).toHaveLength(2);
    expect(targets).toContainEqual({ min: 2, max: 4, service: service(MAIN)[0] });
    expect(targets).toContainEqual({ min: 2, max: 8, service: service(INTAKE)[0] });
    const policies = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'));
    expect(policies).toHaveLength(4);
    const targetIds = Object.keys(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    const byTarget = (id: string) => policies.filter((p) => p.Properties.ScalingTargetId.Ref === id);
    const sessionsOf = (service: string) => ({
      TargetValue: 200,
      CustomizedMetricSpecification: {
        Namespace: 'Strato',
        MetricName: 'SmtpSessionsOpen',
        Statistic: 'Average',
        Dimensions: expect.arrayContaining([
          { Name: 'Stage', Value: 'split' },
          { Name: 'Service', Value: service },
        ]),
      },
    });
    const services = targetIds.map((id) =>
      byTarget(id).map((p) => p.Properties.TargetTrackingScalingPolicyConfiguration),
    );
    for (const configs of services) {
      expect(configs).toContainEqual(
        expect.objectContaining({
          TargetValue: 60,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        }),
      );
    }
    const all = services.flat();
    expect(all).toContainEqual(expect.objectContaining(sessionsOf('frontend')));
    expect(all).toContainEqual(expect.objectContaining(sessionsOf('frontend-intake')));
  });

  it('shares the security group; only the processing service has the internal SMTP port and Cloud Map name', () => {
    const sgOf = (prefix: string) =>
      service(prefix)[1].Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups;
    expect(sgOf(INTAKE)).toEqual(sgOf(MAIN));
    expect(service(MAIN)[1].Properties.ServiceRegistries).toHaveLength(1);
    expect(service(INTAKE)[1].Properties.ServiceRegistries).toBeUndefined();
    const frontendNames = Object.values(t.findResources('AWS::ServiceDiscovery::Service')).filter(
      (r) => r.Properties.Name === 'frontend',
    );
    expect(frontendNames).toHaveLength(1);
    expect(env(MAIN)[ENV.internalSmtpPort]).toBe('2526');
    expect(env(INTAKE)[ENV.internalSmtpPort]).toBeUndefined();
    expect(env(INTAKE)[ENV.trustedNetworks]).toBeUndefined();
  });

  it('gives both task roles exactly the intake + queue processing + SES actions', () => {
    const expected = {
      ...QUEUE_PROCESSOR_ACTIONS,
      ...SES_ACTIONS,
      'dynamodb:GetItem': [...QUEUE_PROCESSOR_ACTIONS['dynamodb:GetItem'], 'mailboxes'].sort(),
    };
    const sorted = Object.fromEntries(Object.entries(expected).sort(([a], [b]) => a.localeCompare(b)));
    const main = taskRoleOf(t, MAIN);
    const intake = taskRoleOf(t, INTAKE);
    expect(intake).not.toBe(main);
    expect(roleActions(t, main)).toEqual(sorted);
    expect(roleActions(t, intake)).toEqual(sorted);
  });

  it('sets every variable the intake frontend reads (except the listed omissions)', () => {
    const omitted = {
      ...STORAGE_OMITTED,
      ...FRONTEND_OMITTED,
      ...QUEUE_OMITTED,
      [ENV.backendFunction]: 'Fargate backends are found in the backend registry',
      [ENV.internalSmtpPort]: "the backends forward generated mail to the processing service's internal port",
      [ENV.trustedNetworks]: 'no internal port, so no trusted networks',
    };
    expect(containerEnvNames(t, INTAKE)).toEqual(
      expectedNames([...FRONTEND_ENV_NAMES, ...QUEUE_ENV_NAMES, ...STORAGE_ENV_NAMES, ...METRICS_ENV_NAMES], {
        ...omitted,
        ...METRICS_OMITTED,
      }),
    );
  });

  it('keeps the alarms of a one-service stage (one MX outage alarm covers both services), plus one below-desired alarm per service', () => {
    const summaries = alarmSummaries(t);
    expect(summaries).toEqual(
      expect.arrayContaining([
        ['ApproximateAgeOfOldestMessage', 'GreaterThanThreshold', 1800],
        ['ApproximateNumberOfMessagesVisible', 'GreaterThanThreshold', 0],
        ['Reputation.BounceRate', 'GreaterThanThreshold', 0.05],
      ]),
    );
    expect(summaries.filter(([m]) => m === 'HealthyHostCount')).toHaveLength(1);
    expect(
      Object.keys(alarmsByName(t))
        .filter((n) => n.endsWith('BelowDesired'))
        .sort(),
    ).toEqual(['BackendBelowDesired', 'FrontendBelowDesired', 'FrontendIntakeBelowDesired']);
  });

  it('has no unacknowledged cdk-nag AwsSolutions findings (both stacks)', () => {
    const report = new AwsSolutionsChecks().validateScope(s.app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`),
    );
    expect(findings).toEqual([]);
  });
});
