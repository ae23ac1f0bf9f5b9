import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { describe, expect, it } from 'vitest';
import {
  CONTAINER_DATA_DIR,
  freshImageContext,
  IMAGE_CONTEXT,
  mountScratchVolume,
  stratoImage,
} from './constructs/image.ts';
import { stage, synthStage } from './test-support.ts';

const dockerfile = readFileSync(`${IMAGE_CONTEXT}/Dockerfile`, 'utf8');
const instructions = dockerfile
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'))
  .map((l) => l.trim().split(/\s+/)[0]?.toUpperCase());

describe('the Fargate image', () => {
  it('has no RUN step and a base pinned by digest', () => {
    expect(instructions).not.toContain('RUN');
    expect(dockerfile).toMatch(/^FROM \S+:22-slim@sha256:[0-9a-f]{64}$/m);
  });

  it('declares the data dir a volume, owned by the user it runs as', () => {
    expect(dockerfile).toContain(`VOLUME ["${CONTAINER_DATA_DIR}"]`);
    expect(dockerfile).toMatch(new RegExp(`COPY --chown=node:node \\S+ ${CONTAINER_DATA_DIR}/`));
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('is bundled from the sources at a synth that bundles, into a context of its own', () => {
    process.env.CDK_VALIDATION = 'false';
    const stack = new Stack(new App(), 'ImageOnly'); // default context: every stack bundles
    const before = Date.now();
    const task = new FargateTaskDefinition(stack, 'Task');
    mountScratchVolume(
      task,
      task.addContainer('c', { image: stratoImage(stack), readonlyRootFilesystem: true }),
    );
    const context = freshImageContext();
    expect(context.startsWith(IMAGE_CONTEXT)).toBe(false);
    expect(readFileSync(join(context, 'Dockerfile'), 'utf8')).toBe(dockerfile);
    for (const file of ['entrypoint.mjs', 'frontend.mjs', 'backend.mjs', 'admin.mjs']) {
      expect(statSync(join(context, 'dist', 'app', file)).mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    }
    // The asset CDK staged is that context: its Dockerfile and a bundle, nothing else of the repo.
    const assembly = App.of(stack)?.synth();
    const staged = readdirSync(assembly?.directory ?? '').find((d) => d.startsWith('asset.'));
    expect(staged).toBeDefined();
    expect(readdirSync(join(assembly?.directory ?? '', staged ?? '', 'dist', 'app'))).toContain(
      'frontend.mjs',
    );
  }, 60_000);

  it('runs every Strato container read-only with one writable volume at the data dir', () => {
    const t = synthStage(stage('dev')).serviceTemplate;
    const tasks = Object.values(t.findResources('AWS::ECS::TaskDefinition')) as {
      Properties: { ContainerDefinitions: Record<string, unknown>[]; Volumes?: { Name: string }[] };
    }[];
    expect(tasks.length).toBeGreaterThan(0);
    for (const task of tasks) {
      expect(task.Properties.Volumes).toEqual([{ Name: 'scratch' }]);
      for (const c of task.Properties.ContainerDefinitions) {
        expect(c.ReadonlyRootFilesystem).toBe(true);
        expect(c.MountPoints).toEqual([
          { SourceVolume: 'scratch', ContainerPath: CONTAINER_DATA_DIR, ReadOnly: false },
        ]);
      }
    }
  });
});
