/**
 * The CDK app (`npx cdk synth -c stage=dev`): a stateful stack and a service stack per stage,
 * configured by cdk/stages/<stage>.json (or `-c stageFile=path`), checked by cdk-nag AwsSolutions.
 * Each accepted nag finding is acknowledged, with its reason, in the construct that owns the resource.
 */
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig, type StageConfig } from './config.ts';
import { ServiceStack } from './stacks/service-stack.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';

export interface StratoApp {
  readonly app: App;
  readonly stateful: StatefulStack;
  readonly service: ServiceStack;
}

/** Build both stacks of one stage into `app` (tests pass their own App). */
export function buildStratoApp(app: App, config: StageConfig, opts: { nag?: boolean } = {}): StratoApp {
  const env = config.env ? { env: config.env } : {};
  const prefix = `Strato-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-Data`, config, {
    ...env,
    description: `Strato ${config.stage}: tables, buckets, queue`,
  });
  const service = new ServiceStack(app, `${prefix}-Service`, config, stateful, {
    ...env,
    description: `Strato ${config.stage}: NLB, Fargate frontends/backends, Lambdas, SES, monitoring`,
  });
  Tags.of(app).add('project', 'strato');
  Tags.of(app).add('stage', config.stage);
  if (opts.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, service };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = new App();
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const file = app.node.tryGetContext('stageFile') as string | undefined;
  buildStratoApp(app, loadStageConfig(stage, file));
  app.synth();
}
