/**
 * The mail queue over the API. Any administrator may call these; a domain administrator sees and
 * acts on their domains' jobs only (a job of another domain named by id is 403, lists leave such
 * jobs out). `GET /api/v1/queue` lists with filters and a cursor, `GET /api/v1/queue/depth`
 * (cluster only) counts, `GET /api/v1/queue/jobs/:id` shows one job with its headers, and retry /
 * bounce / delete act on one; `POST /api/v1/queue/bulk` acts on the jobs a filter selects
 * (`dryRun: true` only counts and names them). Unknown job: 404; in flight: 409; bad input: 400
 * naming the field.
 */
import { z } from 'zod';
import {
  bounceQueueJob,
  bulkQueueAction,
  deleteQueueJob,
  listQueue,
  queueDepth,
  retryQueueJob,
  showQueueJob,
} from '../../../../core/admin/queue.ts';
import { FILTER_STATES, type QueueFilter } from '../../../../core/queue/queue-filter.ts';
import { apiRoute } from '../route.ts';
import { type OpsDeps, queueDeps, scopeOf } from './ops-deps.ts';

const ms = z.coerce.number().int().min(0);

/** The list filters as query parameters (the API's and the Queue page's). */
export const queueListQuery = z.object({
  sender: z.string().max(320).optional(),
  recipient: z.string().min(1).max(320).optional(),
  domain: z.string().min(1).max(255).optional(),
  state: z.enum(FILTER_STATES as [string, ...string[]]).optional(),
  olderThanMs: ms.optional(),
  newerThanMs: ms.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});

/** The filter fields of a parsed query (empty values left out). */
export function filterOf(q: Partial<z.output<typeof queueListQuery>>): QueueFilter {
  const f: Record<string, unknown> = {};
  for (const key of ['sender', 'recipient', 'domain', 'state', 'olderThanMs', 'newerThanMs'] as const) {
    const v = q[key];
    if (v !== undefined && v !== '') f[key] = v;
  }
  return f as QueueFilter;
}

const filterBody = z
  .object({
    sender: z.string().max(320).optional(),
    recipient: z.string().min(1).max(320).optional(),
    domain: z.string().min(1).max(255).optional(),
    state: z.enum(FILTER_STATES as [string, ...string[]]).optional(),
    olderThanMs: z.number().int().min(0).optional(),
    newerThanMs: z.number().int().min(0).optional(),
  })
  .strict();

export const BULK_ACTIONS = ['retry', 'bounce', 'delete', 'hold', 'release'] as const;

const idParams = z.object({ id: z.string().min(1).max(40) });
const jobTarget = ({ params }: { params: { id: string } }) => params.id.toUpperCase();

export function queueRoutes(deps: OpsDeps) {
  const q = queueDeps(deps);
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/queue',
      summary: 'Queued jobs, oldest first, narrowed by filters (a page at a time: nextCursor)',
      access: 'any',
      query: queueListQuery,
      response: z.object({
        jobs: z.array(z.record(z.string(), z.unknown())),
        nextCursor: z.string().nullable(),
      }),
      handler: (ctx, { query }) =>
        listQueue(q, {
          ...scopeOf(ctx.principal),
          filter: filterOf(query),
          limit: query.limit,
          ...(query.cursor ? { cursor: query.cursor } : {}),
        }),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/queue/depth',
      summary: 'Jobs per status and their total (the whole queue)',
      access: 'cluster',
      handler: () => queueDepth(q),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/queue/jobs/:id',
      summary: 'One queued job with its message headers',
      access: 'any',
      params: idParams,
      handler: (ctx, { params }) => showQueueJob(q, params.id, scopeOf(ctx.principal)),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/jobs/:id/retry',
      summary: 'Make a waiting job ready now (a dead job starts over)',
      access: 'any',
      params: idParams,
      audit: { action: 'queue.retry', target: jobTarget },
      handler: (ctx, { params }) => retryQueueJob(q, params.id, scopeOf(ctx.principal)),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/jobs/:id/bounce',
      summary: 'Remove a waiting job and send its sender one failure report',
      access: 'any',
      params: idParams,
      body: z.object({ reason: z.string().max(1000).optional() }).strict(),
      audit: { action: 'queue.bounce', target: jobTarget },
      handler: (ctx, { params, body }) => bounceQueueJob(q, params.id, body.reason, scopeOf(ctx.principal)),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/queue/jobs/:id',
      summary: 'Remove a waiting job and its body without any report',
      access: 'any',
      params: idParams,
      audit: { action: 'queue.delete', target: jobTarget },
      handler: (ctx, { params }) => deleteQueueJob(q, params.id, scopeOf(ctx.principal)),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/bulk',
      summary: 'Retry, bounce, delete, hold or release the jobs a filter selects (dryRun: count only)',
      access: 'any',
      body: z
        .object({
          action: z.enum(BULK_ACTIONS),
          filter: filterBody,
          dryRun: z.boolean().default(false),
          reason: z.string().max(1000).optional(),
        })
        .strict(),
      audit: {
        action: 'queue.bulk',
        target: ({ body }) =>
          `${body.action}${body.dryRun ? ' (dry run)' : ''} ${JSON.stringify(body.filter)}`,
      },
      handler: (ctx, { body }) =>
        bulkQueueAction(q, body.action, {
          ...scopeOf(ctx.principal),
          filter: body.filter as QueueFilter,
          dryRun: body.dryRun,
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
        }),
    }),
  ];
}
