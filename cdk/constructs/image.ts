/**
 * The Fargate image: built at deploy time from fargate/docker (Dockerfile on node:22-slim from the
 * public ECR gallery, bundles made by fargate/docker/bundle.ts). At synth CDK only fingerprints
 * that small folder, so synth needs no Docker.
 */

import { Validations } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage, type FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { repoRoot } from './bundling.ts';

export const IMAGE_CONTEXT = `${repoRoot}fargate/docker`;
/** In-container data dir (STRATO_DATA_DIR): TLS material generated at start, LMTP scratch files. */
export const CONTAINER_DATA_DIR = '/tmp/strato';

export function stratoImage(): ContainerImage {
  return ContainerImage.fromAsset(IMAGE_CONTEXT, { platform: Platform.LINUX_ARM64 });
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
