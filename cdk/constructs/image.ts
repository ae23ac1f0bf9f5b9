/**
 * The Fargate image, built from the current sources: at every synth that bundles (not in unit
 * tests, which skip bundling) cdk/image-bundle.ts rebuilds fargate/docker/dist before CDK
 * fingerprints the folder, so `cdk deploy` can never ship a stale or missing bundle. The Dockerfile
 * (node:22-slim pinned by digest, from the public ECR gallery) has no RUN step. Containers run with
 * a read-only root file system and one writable task volume at the data dir.
 */

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

/** The image asset; `scope` decides whether this synth bundles (CDK's bundling-stacks context). */
export function stratoImage(scope: Construct): ContainerImage {
  if (Stack.of(scope).bundlingRequired) bundleImageContextSync();
  return ContainerImage.fromAsset(IMAGE_CONTEXT, { platform: Platform.LINUX_ARM64 });
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
