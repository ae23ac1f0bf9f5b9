/**
 * The audit trail over the API: `GET /api/v1/audit`, newest first, one page at a time
 * (`nextCursor` fetches the next). A domain administrator sees only their domains' entries (the
 * access layer filters by the caller).
 */
import { z } from 'zod';
import { apiRoute } from '../route.ts';

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});

export const auditRoutes = [
  apiRoute({
    method: 'GET',
    path: '/api/v1/audit',
    summary: 'The audit trail, newest first',
    access: 'any',
    query: auditQuery,
    response: z.object({ items: z.array(z.unknown()), nextCursor: z.string().optional() }),
    handler: (ctx, { query }) =>
      ctx.access.listAudit(ctx.principal, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      }),
  }),
];
