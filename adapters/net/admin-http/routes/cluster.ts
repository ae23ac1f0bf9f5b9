/**
 * The cluster's queue-processing settings over the API (cluster administrators only):
 * `GET /api/v1/cluster/queue-processing` (each setting's stored value, the value in effect and
 * whether it is the default) and `PATCH` of the same path (a value sets a field, null clears it;
 * a bad value is a 400 naming the field and nothing is written; an unknown frontend id is a 400
 * on `processing`). Processors re-read the settings within seconds (STRATO_QUEUE_CONTROL_MS).
 */
import { z } from 'zod';
import { getQueueProcessing, updateQueueProcessing } from '../../../../core/admin/cluster.ts';
import {
  GENERATED_MAIL_MODES,
  processingSelectorSchema,
  retrySettingSchema,
} from '../../../../core/ports/cluster-control.ts';
import { apiRoute } from '../route.ts';
import type { OpsDeps } from './ops-deps.ts';

const setting = <T extends z.ZodType>(value: T) =>
  z.object({
    value: value.nullable(),
    effective: value,
    source: z.enum(['cluster', 'default']),
    defaultFrom: z.string(),
  });

export const queueProcessingSchema = z.object({
  processing: setting(processingSelectorSchema),
  concurrency: setting(z.number()),
  generatedMail: setting(z.enum(GENERATED_MAIL_MODES)),
  retry: setting(z.object({ firstSeconds: z.number(), maxSeconds: z.number() })),
  lifetimeSeconds: setting(z.number()),
});

/** The patch as the API takes it; the use case checks each value again (and frontend ids). */
export const queueProcessingPatch = z
  .object({
    processing: processingSelectorSchema.nullable().optional(),
    concurrency: z.number().int().min(1).max(1000).nullable().optional(),
    generatedMail: z.enum(GENERATED_MAIL_MODES).nullable().optional(),
    retry: retrySettingSchema.nullable().optional(),
    lifetimeSeconds: z.number().int().min(1).nullable().optional(),
  })
  .strict();

export function clusterRoutes(deps: OpsDeps) {
  const control = { control: deps.storage.control };
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/cluster/queue-processing',
      summary: 'Queue processing settings: stored value, value in effect and its source',
      access: 'cluster',
      response: queueProcessingSchema,
      handler: () => getQueueProcessing(control),
    }),
    apiRoute({
      method: 'PATCH',
      path: '/api/v1/cluster/queue-processing',
      summary: 'Change queue processing settings (null clears a setting); applies within seconds',
      access: 'cluster',
      body: queueProcessingPatch,
      response: queueProcessingSchema.extend({ warnings: z.array(z.string()) }),
      audit: {
        action: 'cluster.queue-processing',
        target: () => 'queue-processing',
        read: async () => deps.storage.control.getQueueSettings(),
      },
      handler: (_ctx, { body }) => updateQueueProcessing(control, body),
    }),
  ];
}
