/**
 * Forwarders over the API (core/admin/forwarders.ts): list a domain's, add one in the domain of
 * the path (its target may be anywhere), remove one by its address (scoped by that address's
 * domain).
 */
import { z } from 'zod';
import { addForwarder, listForwarders, removeForwarder } from '../../../../core/admin/forwarders.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute } from '../route.ts';
import { addressDomainOf, addressParams, domainParams, requireInDomain } from './directory-schemas.ts';

export const addForwarderBody = z.object({
  address: z.string().min(3).max(254),
  target: z.string().min(3).max(254),
});

const byAddress = { addressParam: 'address' } as const;

export function forwarderRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain/forwarders',
      summary: "The domain's forwarders, sorted",
      access: { domainParam: 'domain' },
      params: domainParams,
      handler: async (_ctx, { params }) => ({
        items: await listForwarders(storage, { domain: params.domain }),
      }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains/:domain/forwarders',
      summary: 'Add a forwarder (all mail for the address goes to the target)',
      access: { domainParam: 'domain' },
      params: domainParams,
      body: addForwarderBody,
      status: 201,
      audit: {
        action: 'forwarder.create',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
      },
      handler: (_ctx, { params, body }) => {
        requireInDomain(body.address, params.domain, 'address');
        return addForwarder(storage, body);
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/forwarders/:address',
      summary: 'Remove a forwarder',
      access: byAddress,
      params: addressParams,
      audit: {
        action: 'forwarder.remove',
        target: ({ params }) => params.address,
        domain: ({ params }) => addressDomainOf(params.address),
      },
      handler: (_ctx, { params }) => removeForwarder(storage, { address: params.address }),
    }),
  ];
}
