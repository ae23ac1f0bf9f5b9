/**
 * The cluster's live topology over the API (cluster administrators only):
 * `GET /api/v1/cluster/frontends` (from their heartbeats: id, group, processing, jobs in flight,
 * sessions, last seen; `recent=true` adds those gone within a day, marked not live) and
 * `GET /api/v1/cluster/backends` (live backends). Storage faults are 500s.
 */
import { z } from 'zod';
import { listBackends, listFrontends } from '../../../../core/admin/frontends.ts';
import { apiRoute } from '../route.ts';
import type { OpsDeps } from './ops-deps.ts';

export const frontendsQuery = z.object({ recent: z.enum(['true', 'false']).optional() });

export function frontendRoutes(deps: OpsDeps) {
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/cluster/frontends',
      summary: 'Frontends as their heartbeats say (live; recent=true adds those gone within a day)',
      access: 'cluster',
      query: frontendsQuery,
      response: z.object({ frontends: z.array(z.record(z.string(), z.unknown())), now: z.number() }),
      handler: async (_ctx, { query }) => ({
        frontends: await listFrontends(
          { control: deps.storage.control },
          { recent: query.recent === 'true' },
        ),
        now: Date.now(),
      }),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/cluster/backends',
      summary: 'Live backends',
      access: 'cluster',
      response: z.object({ backends: z.array(z.record(z.string(), z.unknown())) }),
      handler: async () => ({ backends: await listBackends({ backends: deps.storage.backends }) }),
    }),
  ];
}
