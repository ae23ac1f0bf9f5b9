/**
 * Aliases over the API (core/admin/aliases.ts): list a domain's, add one in the domain of the
 * path, remove one by its address (scoped by that address's domain). A domain administrator may
 * point an alias only at an account of a domain it administers (400 on `account` otherwise).
 */
import { z } from 'zod';
import { addAlias, listAliases, removeAlias } from '../../../../core/admin/aliases.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute } from '../route.ts';
import {
  addressDomainOf,
  addressParams,
  domainParams,
  requireInDomain,
  requireManagedAddress,
} from './directory-schemas.ts';

export const addAliasBody = z.object({
  address: z.string().min(3).max(254),
  account: z.string().min(3).max(254),
});

const byAddress = { addressParam: 'address' } as const;

export function aliasRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain/aliases',
      summary: "The domain's aliases, sorted",
      access: { domainParam: 'domain' },
      params: domainParams,
      handler: async (_ctx, { params }) => ({ items: await listAliases(storage, { domain: params.domain }) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains/:domain/aliases',
      summary: 'Add an alias (another name for an existing account)',
      access: { domainParam: 'domain' },
      params: domainParams,
      body: addAliasBody,
      status: 201,
      audit: {
        action: 'alias.create',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
      },
      handler: (ctx, { params, body }) => {
        requireInDomain(body.address, params.domain, 'address');
        requireManagedAddress(ctx.principal, body.account, 'account');
        return addAlias(storage, body);
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/aliases/:address',
      summary: 'Remove an alias',
      access: byAddress,
      params: addressParams,
      audit: {
        action: 'alias.remove',
        target: ({ params }) => params.address,
        domain: ({ params }) => addressDomainOf(params.address),
      },
      handler: (_ctx, { params }) => removeAlias(storage, { address: params.address }),
    }),
  ];
}
