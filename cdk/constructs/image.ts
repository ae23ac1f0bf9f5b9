/**
 * The Fargate image, built from the current sources: at every synth that bundles (not in unit
 * tests, which skip bundling) cdk/image-bundle.ts bundles the frontend and backend into a fresh
 * image context (a temp folder holding fargate/docker's Dockerfile and the new dist/) before CDK
 * fingerprints and stages it, so `cdk deploy` can never ship a stale or missing bundle, and two
 * synths never share a folder. The Dockerfile (node:22-slim pinned by digest, from the public ECR
 * gallery) has no RUN step. Containers run with a read-only root file system and one writable
 * task volume at the data dir. A bundling error throws and fails the synth.
 */

import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { type ContainerDefinition, ContainerImage, type FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { bundleImageContextSync } from '../image-bundle.ts';
import { repoRoot } from './bundling.ts';

export const IMAGE_CONTEXT = `${repoRoot}fargate/docker`;
/**
 * In-container data dir (STRATO_DATA_DIR): TLS material generated at start, LMTP scratch files.
 * The Dockerfile declares it a VOLUME owned by the runtime user; it must stay in step with this.
 */
export const CONTAINER_DATA_DIR = '/tmp/strato';
const SCRATCH_VOLUME = 'scratch';

let freshContext: string | undefined;

/** This process's image context with a bundle built now (once per process; removed at exit, after staging). */
export function freshImageContext(): string {
  if (!freshContext) {
    const dir = mkdtempSync(join(tmpdir(), 'strato-image-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    for (const file of ['Dockerfile', '.dockerignore'])
      copyFileSync(join(IMAGE_CONTEXT, file), join(dir, file));
    bundleImageContextSync(join(dir, 'dist'));
    freshContext = dir;
  }
  return freshContext;
}

/** The image asset; `scope` decides whether this synth bundles (CDK's bundling-stacks context). */
export function stratoImage(scope: Construct): ContainerImage {
  const context = Stack.of(scope).bundlingRequired ? freshImageContext() : IMAGE_CONTEXT;
  return ContainerImage.fromAsset(context, { platform: Platform.LINUX_ARM64 });
}

/** The task's only writable place: an ephemeral volume mounted at the data dir. */
export function mountScratchVolume(
  taskDefinition: FargateTaskDefinition,
  container: ContainerDefinition,
): void {
  taskDefinition.addVolume({ name: SCRATCH_VOLUME });
  container.addMountPoints({
    sourceVolume: SCRATCH_VOLUME,
    containerPath: CONTAINER_DATA_DIR,
    readOnly: false,
  });
}

/** cdk-nag findings every Strato task definition accepts (call after its container is added). */
export function acknowledgeTaskDefinition(taskDefinition: FargateTaskDefinition): void {
  Validations.of(taskDefinition).acknowledge({
    id: 'AwsSolutions-ECS2',
    reason:
      'The environment holds resource names and tunables only (set from the shared ENV names); ' +
      'the secrets, STRATO_SRS_SECRET and STRATO_CHANNEL_SECRET, come from Secrets Manager',
  });
  Validations.of(taskDefinition.obtainExecutionRole()).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ecr:GetAuthorizationToken (image pull) has no resource-level permissions',
  });
}
