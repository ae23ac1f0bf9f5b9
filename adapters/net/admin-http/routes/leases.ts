/**
 * Where an account is open and the force-release of a stuck lease (cluster administrators only:
 * backend ids are cluster-wide): `GET /api/v1/leases/:address` (the lease and the HomeBackend
 * setting; an alias answers for its account) and `POST /api/v1/leases/:address/release`
 * (`epoch` fences it: 409 when the lease is not held, has another epoch or changed meanwhile;
 * 404 for an unknown account; 400 for a malformed address).
 */
import { z } from 'zod';
import { releaseAccountLease, whereIsAccount } from '../../../../core/admin/leases.ts';
import { apiRoute } from '../route.ts';
import type { OpsDeps } from './ops-deps.ts';

const addressParams = z.object({ address: z.string().min(1).max(320) });

export function leaseRoutes(deps: OpsDeps) {
  const d = deps.storage;
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/leases/:address',
      summary: 'Where an account is open: its lease and its home backend',
      access: 'cluster',
      params: addressParams,
      handler: (_ctx, { params }) => whereIsAccount(d, params.address),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/leases/:address/release',
      summary: "Force-release an account's lease (epoch: only if still this one)",
      access: 'cluster',
      params: addressParams,
      body: z.object({ epoch: z.number().int().min(0).optional() }).strict(),
      audit: {
        action: 'account.lease-release',
        target: ({ params }) => params.address.toLowerCase(),
        domain: ({ params }) => params.address.slice(params.address.lastIndexOf('@') + 1).toLowerCase(),
      },
      handler: (_ctx, { params, body }) => releaseAccountLease(d, params.address, body.epoch),
    }),
  ];
}
