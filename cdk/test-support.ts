/**
 * Shared helpers of the CDK tests: synthesise a stage once (bundling skipped, built-in
 * CloudFormation validation off), read roles' policy actions and containers' variables from the
 * templates, and normalise asset hashes for snapshots.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStratoApp, type StratoApp } from './app.ts';
import { parseStageConfig, type StageConfig } from './config.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

export function stage(stageName: string, overrides: Record<string, unknown> = {}): StageConfig {
  const raw = JSON.parse(readFileSync(new URL(`./stages/${stageName}.json`, import.meta.url), 'utf8'));
  return parseStageConfig({ ...raw, ...overrides });
}

export interface Synthesized extends StratoApp {
  readonly statefulTemplate: Template;
  readonly serviceTemplate: Template;
}

export function synthStage(config: StageConfig): Synthesized {
  process.env.CDK_VALIDATION = 'false';
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const built = buildStratoApp(app, config, { nag: false });
  return {
    ...built,
    statefulTemplate: Template.fromStack(built.stateful),
    serviceTemplate: Template.fromStack(built.service),
  };
}

type Json = Record<string, unknown>;

function resources(t: Template, type: string): [string, Json][] {
  return Object.entries(t.findResources(type)) as [string, Json][];
}

/** The logical id of the one resource of `type` whose id starts with `prefix`. */
export function logicalId(t: Template, type: string, prefix: string): string {
  const ids = Object.keys(t.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** A readable label for a policy resource: which table, bucket prefix, queue, ... it names. */
export function resourceLabel(resource: unknown): string {
  const s = JSON.stringify(resource);
  const rules: [RegExp, string][] = [
    [/DirectoryTable.*\/index\/list/, 'directory/index/list'],
    [/DirectoryTable/, 'directory'],
    [/MailboxesTable/, 'mailboxes'],
    [/CoordinationTable/, 'coordination'],
    [/HistoryTable/, 'history'],
    [/MailQueueIndexTable.*\/index\/dead-letters/, 'queue-index/index/dead-letters'],
    [/MailQueueIndexTable/, 'queue-index'],
    [/MailQueueDeadLetterQueue/, 'dlq'],
    [/MailQueue[0-9A-F]{8}Arn|MailQueueQueue/, 'queue'],
    [/-spool-.*\/spool\/\*/, 'spool/*'],
    [/-mailbox-.*\/mailboxes\/\*/, 'mailboxes/*'],
    [/identity\/\*/, 'ses:identity/*'],
    [/configuration-set\//, 'ses:configuration-set'],
    [/BackendLambdaFunction/, 'backend-lambda'],
    [/SrsSecret/, 'srs-secret'],
    [/ChannelSecret/, 'channel-secret'],
    [/AdminFirstPassword/, 'admin-first-password'],
    // A secret named in the stage config (by name: the ARN ends in a 6-character wildcard).
    [/:secret:[^"]*tls-\?{6}/, 'tls-secret'],
    [/LogGroup|Logs/, 'logs'],
    [/ContainerAssets|ecr/i, 'ecr-repository'],
  ];
  for (const [re, label] of rules) if (re.test(s)) return label;
  return s === '"*"' ? '*' : s;
}

/** action → sorted resource labels, over every policy attached to the role. */
export function roleActions(t: Template, roleLogicalId: string): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const [, policy] of resources(t, 'AWS::IAM::Policy')) {
    const props = policy.Properties as Json;
    const roles = JSON.stringify(props.Roles ?? []);
    if (!roles.includes(`"${roleLogicalId}"`)) continue;
    const doc = props.PolicyDocument as { Statement: Json[] };
    for (const st of doc.Statement) {
      if (st.Effect !== 'Allow') continue;
      const actions = ([] as string[]).concat(st.Action as string | string[]);
      const res = ([] as unknown[]).concat(st.Resource as unknown);
      for (const a of actions) {
        out[a] ??= new Set();
        for (const r of res) out[a].add(resourceLabel(r));
      }
    }
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([a, set]) => [a, [...set].sort()]),
  );
}

/**
 * Every ECS service an autoscaling target scales, as [logical id, its DesiredCount property]
 * (undefined when the template leaves it to the scaling, as it must).
 */
export function autoscaledServices(t: Template): [string, unknown][] {
  const targets = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
  const scaled = (id: string) => targets.some((tg) => JSON.stringify(tg).includes(`"${id}"`));
  return resources(t, 'AWS::ECS::Service')
    .filter(([id]) => scaled(id))
    .map(([id, svc]) => [id, (svc.Properties as Json).DesiredCount]);
}

/** The role a task definition (logical id prefix) runs its task as. */
export function taskRoleOf(t: Template, taskDefPrefix: string): string {
  const [, td] = resources(t, 'AWS::ECS::TaskDefinition').find(([id]) => id.startsWith(taskDefPrefix)) ?? [];
  if (!td) throw new Error(`no task definition ${taskDefPrefix}`);
  return ((td.Properties as Json).TaskRoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
}

export function functionRoleOf(t: Template, fnPrefix: string): string {
  const id = logicalId(t, 'AWS::Lambda::Function', fnPrefix);
  const fn = t.findResources('AWS::Lambda::Function')[id] as Json;
  return ((fn.Properties as Json).Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
}

/** Names a container gets: plain environment plus secrets. */
export function containerEnvNames(t: Template, taskDefPrefix: string): string[] {
  const [, td] = resources(t, 'AWS::ECS::TaskDefinition').find(([id]) => id.startsWith(taskDefPrefix)) ?? [];
  if (!td) throw new Error(`no task definition ${taskDefPrefix}`);
  const [container] = (td.Properties as Json).ContainerDefinitions as Json[];
  const env = (container!.Environment as { Name: string }[] | undefined) ?? [];
  const secrets = (container!.Secrets as { Name: string }[] | undefined) ?? [];
  return [...env, ...secrets].map((e) => e.Name).sort();
}

export function functionEnvNames(t: Template, fnPrefix: string): string[] {
  const id = logicalId(t, 'AWS::Lambda::Function', fnPrefix);
  const fn = t.findResources('AWS::Lambda::Function')[id] as Json;
  const vars = ((fn.Properties as Json).Environment as { Variables: Json } | undefined)?.Variables ?? {};
  return Object.keys(vars).sort();
}

/** Template JSON with asset hashes replaced, so snapshots change only when the infrastructure does. */
export function normalisedTemplate(t: Template): unknown {
  return JSON.parse(JSON.stringify(t.toJSON()).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

/** The names `roleNames` lists, minus the deliberate omissions. */
export function expectedNames(roleNames: readonly string[], omitted: Record<string, string>): string[] {
  return [...new Set(roleNames)].filter((n) => !(n in omitted)).sort();
}

/** The parts of an ECS task definition and a CloudWatch alarm the tests read. */
export interface TaskDefinitionJson {
  readonly Properties: {
    readonly RuntimePlatform: unknown;
    readonly ExecutionRoleArn: { readonly 'Fn::GetAtt': [string, string] };
    readonly ContainerDefinitions: {
      readonly Environment: { readonly Name: string; readonly Value: unknown }[];
      readonly Secrets?: { readonly Name: string; readonly ValueFrom: unknown }[];
      readonly LogConfiguration: { readonly LogDriver: string };
    }[];
  };
}

/** The mail path's task definitions: every one but the admin service's (admin-service.test.ts). */
export function taskDefinitions(t: Template): TaskDefinitionJson[] {
  return Object.entries(t.findResources('AWS::ECS::TaskDefinition'))
    .filter(([id]) => !id.startsWith(ADMIN_PREFIX))
    .map(([, td]) => td) as TaskDefinitionJson[];
}

/** Logical ids of the admin service's resources (cdk/constructs/admin-service.ts, construct id "Admin"). */
export const ADMIN_PREFIX = 'Admin';

/** Each alarm as [metric name, comparison, threshold] (cdk-monitoring-constructs alarms wrap the metric in a math expression). */
export function alarmSummaries(t: Template): [string, string, number][] {
  type AlarmJson = {
    Properties: {
      MetricName?: string;
      Metrics?: { MetricStat?: { Metric?: { MetricName?: string } } }[];
      ComparisonOperator: string;
      Threshold: number;
    };
  };
  return (Object.values(t.findResources('AWS::CloudWatch::Alarm')) as AlarmJson[])
    .map((a): [string, string, number] => {
      const p = a.Properties;
      const name =
        p.MetricName ?? p.Metrics?.map((m) => m.MetricStat?.Metric?.MetricName).find(Boolean) ?? '?';
      return [name, p.ComparisonOperator, p.Threshold];
    })
    .sort();
}

export interface AlarmJson {
  readonly AlarmName: string;
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Statistic?: string;
  readonly Period?: number;
  readonly Dimensions?: { Name: string; Value: unknown }[];
  readonly Metrics?: {
    Id: string;
    Expression?: string;
    Period?: number;
    MetricStat?: {
      Metric: { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: unknown }[] };
      Period: number;
      Stat: string;
    };
  }[];
  readonly ComparisonOperator: string;
  readonly Threshold: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly TreatMissingData?: string;
  readonly AlarmActions: unknown[];
}

/** The alarms of a template by name, without the `Strato-<stage>-` prefix (alarms named by the stage's own constructs). */
export function alarmsByName(t: Template): Record<string, AlarmJson> {
  const out: Record<string, AlarmJson> = {};
  for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm')) as { Properties: AlarmJson }[]) {
    const name = a.Properties.AlarmName;
    if (typeof name === 'string') out[name.replace(/^Strato-[a-z0-9-]+?-/, '')] = a.Properties;
  }
  return out;
}
