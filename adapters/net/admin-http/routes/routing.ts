/**
 * The outbound routing table over the API (cluster administrators only):
 * `GET /api/v1/cluster/routes`, `PUT /api/v1/cluster/routes/:destination` (add or replace;
 * `example.com`, `*.example.com` or `*`; a bad destination or route is a 400 naming the field, a
 * full table 409) and `DELETE` of the same path (404 without a route). Queue processors re-read
 * the table within seconds.
 */
import { z } from 'zod';
import { listRoutes, removeRoute, setRoute } from '../../../../core/admin/routes.ts';
import { apiRoute } from '../route.ts';
import type { OpsDeps } from './ops-deps.ts';

const destinationParams = z.object({ destination: z.string().min(1).max(300) });

export function routingRoutes(deps: OpsDeps) {
  const d = { control: deps.storage.control, directory: deps.storage.directory };
  const current = async (destination: string) =>
    (await deps.storage.control.listRoutes()).find((r) => r.destination === destination.toLowerCase());
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/cluster/routes',
      summary: 'The outbound routing table, by destination',
      access: 'cluster',
      response: z.object({ routes: z.array(z.record(z.string(), z.unknown())) }),
      handler: async () => ({ routes: await listRoutes(d) }),
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/cluster/routes/:destination',
      summary: 'Set the route of a destination (mx, smarthost or ses)',
      access: 'cluster',
      params: destinationParams,
      body: z.object({ route: z.unknown() }).strict(),
      response: z.object({ route: z.unknown(), warnings: z.array(z.string()) }),
      audit: {
        action: 'route.set',
        target: ({ params }) => params.destination,
        read: (_ctx, { params }) => current(params.destination),
      },
      handler: (_ctx, { params, body }) => setRoute(d, params.destination, body.route),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/cluster/routes/:destination',
      summary: 'Remove the route of a destination',
      access: 'cluster',
      params: destinationParams,
      audit: {
        action: 'route.remove',
        target: ({ params }) => params.destination,
        read: (_ctx, { params }) => current(params.destination),
      },
      handler: (_ctx, { params }) => removeRoute(d, params.destination),
    }),
  ];
}
