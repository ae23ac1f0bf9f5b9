/**
 * Holds and dead letters over the API (any administrator; a domain administrator within their
 * domains): `GET /api/v1/queue/holds`, `POST /api/v1/queue/holds` (hold a job, an account or a
 * domain; `dryRun` says which waiting jobs it would park), `POST /api/v1/queue/holds/release`
 * (409 when not held), `GET /api/v1/queue/dead` and `POST /api/v1/queue/dead/redrive` (ids or
 * all, with a dry run; an unknown id is 404 before anything changes).
 */
import { z } from 'zod';
import {
  holdQueue,
  listDeadLetters,
  listHolds,
  redriveDeadLetters,
  releaseQueue,
} from '../../../../core/admin/queue-holds.ts';
import { QUEUE_HOLD_KINDS } from '../../../../core/ports/queue-holds.ts';
import { apiRoute } from '../route.ts';
import { type OpsDeps, queueDeps, scopeOf } from './ops-deps.ts';

const kind = z.enum(QUEUE_HOLD_KINDS as [string, ...string[]]);
const holdTarget = { kind, value: z.string().trim().min(1).max(320) };
const holdAudit = (action: string) => ({
  action,
  target: ({ body }: { body: { kind: string; value: string; dryRun: boolean } }) =>
    `${body.kind} ${body.value}${body.dryRun ? ' (dry run)' : ''}`,
  domain: ({ body }: { body: { kind: string; value: string } }) =>
    body.kind === 'domain'
      ? body.value.toLowerCase()
      : body.kind === 'account'
        ? body.value.slice(body.value.lastIndexOf('@') + 1).toLowerCase()
        : undefined,
});

export function queueHoldRoutes(deps: OpsDeps) {
  const q = queueDeps(deps);
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/queue/holds',
      summary: 'Hold directives (job, account, domain), oldest first',
      access: 'any',
      response: z.object({ holds: z.array(z.record(z.string(), z.unknown())) }),
      handler: async (ctx) => ({ holds: await listHolds(q, scopeOf(ctx.principal)) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/holds',
      summary: 'Hold a job, an account or a domain (dryRun: the waiting jobs it would park)',
      access: 'any',
      body: z
        .object({ ...holdTarget, reason: z.string().max(500).optional(), dryRun: z.boolean().default(false) })
        .strict(),
      audit: holdAudit('queue.hold'),
      handler: (ctx, { body }) =>
        holdQueue(
          q,
          { kind: body.kind as 'job', value: body.value },
          {
            ...scopeOf(ctx.principal),
            dryRun: body.dryRun,
            ...(body.reason !== undefined ? { reason: body.reason } : {}),
          },
        ),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/holds/release',
      summary: 'Remove a hold directive and ready the jobs it held (dryRun: which ones)',
      access: 'any',
      body: z.object({ ...holdTarget, dryRun: z.boolean().default(false) }).strict(),
      audit: holdAudit('queue.release'),
      handler: (ctx, { body }) =>
        releaseQueue(
          q,
          { kind: body.kind as 'job', value: body.value },
          { ...scopeOf(ctx.principal), dryRun: body.dryRun },
        ),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/queue/dead',
      summary: 'Dead-lettered jobs with their last reply',
      access: 'any',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
      response: z.object({ jobs: z.array(z.record(z.string(), z.unknown())) }),
      handler: async (ctx, { query }) => ({
        jobs: await listDeadLetters(q, { ...scopeOf(ctx.principal), limit: query.limit }),
      }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/queue/dead/redrive',
      summary: 'Start dead jobs over: the ids given or all (dryRun: count only)',
      access: 'any',
      body: z
        .object({
          ids: z.array(z.string().min(1).max(40)).max(1000).optional(),
          all: z.boolean().default(false),
          dryRun: z.boolean().default(false),
        })
        .strict(),
      audit: {
        action: 'queue.redrive',
        target: ({ body }) =>
          `${body.all ? 'all' : (body.ids ?? []).join(',')}${body.dryRun ? ' (dry run)' : ''}`,
      },
      handler: (ctx, { body }) =>
        redriveDeadLetters(q, {
          ...scopeOf(ctx.principal),
          all: body.all,
          dryRun: body.dryRun,
          ...(body.ids ? { ids: body.ids } : {}),
        }),
    }),
  ];
}
