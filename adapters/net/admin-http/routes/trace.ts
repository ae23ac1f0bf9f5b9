/**
 * A message's story over the API: `GET /api/v1/trace?q=` with a queue id, a Message-ID or an
 * address (sender or recipient; several messages, newest first, at most `limit`), each with its
 * events and where it is now. A domain administrator sees messages of their domains only.
 * Nothing found: 404.
 */
import { z } from 'zod';
import { traceMessage } from '../../../../core/admin/trace.ts';
import { apiRoute } from '../route.ts';
import { type OpsDeps, scopeOf, traceDeps } from './ops-deps.ts';

export const traceQuery = z.object({
  q: z.string().trim().min(1, 'give a queue id, a Message-ID or an address').max(1000),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  queuedOnly: z.enum(['true', 'false']).optional(),
});

export function traceRoutes(deps: OpsDeps) {
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/trace',
      summary: "A message's story by queue id, Message-ID or address",
      access: 'any',
      query: traceQuery,
      response: z.object({ query: z.string(), messages: z.array(z.record(z.string(), z.unknown())) }),
      handler: (ctx, { query }) =>
        traceMessage(traceDeps(deps), query.q, {
          ...scopeOf(ctx.principal),
          limit: query.limit,
          queuedOnly: query.queuedOnly === 'true',
          onSqs: deps.onSqs === true,
        }),
    }),
  ];
}
