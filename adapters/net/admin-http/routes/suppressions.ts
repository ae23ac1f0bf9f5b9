/**
 * Suppressions over the API (core/admin/suppressions.ts), cluster administrators only: the
 * external addresses SES reported as bouncing or complaining, suppress one by hand, lift one
 * (404 when it is not suppressed).
 */
import { z } from 'zod';
import { addSuppression, listSuppressions, removeSuppression } from '../../../../core/admin/suppressions.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute } from '../route.ts';
import { addressParams } from './directory-schemas.ts';

export const addSuppressionBody = z.object({
  address: z.string().min(3).max(254),
  reason: z.string().max(20).optional(),
  detail: z.string().max(1000).optional(),
});

export function suppressionRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/suppressions',
      summary: 'Every suppressed address, sorted',
      access: 'cluster',
      handler: async () => ({ items: await listSuppressions(storage) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/suppressions',
      summary: 'Suppress an address by hand (reason bounce or complaint)',
      access: 'cluster',
      body: addSuppressionBody,
      status: 201,
      audit: { action: 'suppression.add', target: ({ body }) => body.address },
      handler: (_ctx, { body }) => addSuppression(storage, body),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/suppressions/:address',
      summary: 'Lift a suppression',
      access: 'cluster',
      params: addressParams,
      audit: { action: 'suppression.remove', target: ({ params }) => params.address },
      handler: (_ctx, { params }) => removeSuppression(storage, params),
    }),
  ];
}
