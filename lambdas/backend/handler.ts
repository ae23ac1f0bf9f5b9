/**
 * The backend Lambda's entry point: `handler` receives a DeliveryInvocation from the queue
 * processors' Lambda channel and answers one outcome per recipient. Config is read and storage
 * opened once per cold start (STRATO_STORAGE=aws with the deployment's names). The SRS secret is
 * required, since instances cannot share a generated one: read at cold start from Secrets Manager
 * (STRATO_SRS_SECRET_ID, so the value is never in the function's configuration), or
 * STRATO_SRS_SECRET. Each cold start is its own lease
 * owner, `lambda:<random>` (STRATO_BACKEND_ID is not read), with a short lease (LAMBDA_LEASE_TTL_MS
 * unless STRATO_LEASE_TTL_MS says otherwise). A config error fails every invoke.
 */

import type { DeliveryInvocationResult } from '../../adapters/aws/lambda-wire.ts';
import { readSecretOnce } from '../../adapters/aws/secrets-manager.ts';
import { parseBackendConfig } from '../../core/config/backend-config.ts';
import { LAMBDA_LEASE_TTL_MS } from '../../core/config/defaults.ts';
import { ENV } from '../../core/config/env-names.ts';
import { parseMetricsConfig } from '../../core/config/metrics-config.ts';
import { parseStorageConfig } from '../../core/config/storage-config.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { buildDeliverDeps } from '../../runtime/deliver-deps.ts';
import { createLogger } from '../../runtime/logger.ts';
import { startMetrics } from '../../runtime/metrics/start-metrics.ts';
import { openStorage } from '../../runtime/open-storage.ts';
import { createBackendHandler, lambdaOwnerId } from './handler-core.ts';

async function init() {
  // Its own owner per execution environment, and a short lease: held only while it delivers.
  const config = parseBackendConfig({
    [ENV.leaseTtlMs]: String(LAMBDA_LEASE_TTL_MS),
    ...process.env,
    [ENV.backendId]: lambdaOwnerId(),
  });
  const srsSecret =
    config.srsSecret ??
    (config.srsSecretId
      ? await readSecretOnce(config.srsSecretId, {
          ...(config.endpointSecretsManager ? { endpoint: config.endpointSecretsManager } : {}),
        })
      : undefined);
  if (!srsSecret)
    throw new Error(`${ENV.srsSecretId} or ${ENV.srsSecret} must be set for the backend Lambda`);
  const storage = await openStorage(parseStorageConfig(process.env));
  const logger = createLogger({
    level: config.logLevel,
    role: 'backend-lambda',
    backendId: config.backendId,
  });
  // Flushed after each invocation: a frozen execution environment runs no timer.
  const metricsHandle = startMetrics({
    config: parseMetricsConfig(process.env),
    role: 'backend-lambda',
    logger,
  });
  const deps = buildDeliverDeps(storage, config, {
    clock: systemClock,
    logger,
    srsSecret,
    role: 'backend-lambda',
  });
  return { handle: createBackendHandler({ ...deps, messages: storage.messages }), metricsHandle };
}

let ready: ReturnType<typeof init> | undefined;

/** The event is validated by the handler core: a malformed one fails this invoke only. */
export async function handler(event: unknown): Promise<DeliveryInvocationResult> {
  ready ??= init();
  const { handle, metricsHandle } = await ready;
  try {
    return await handle(event);
  } finally {
    metricsHandle.flush();
  }
}
