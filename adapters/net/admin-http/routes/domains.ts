/**
 * Domains over the API (core/admin/domains.ts): list (a domain administrator sees its domains
 * only), add and remove (cluster administrators), get with counts and effective defaults, update
 * the mail-to-unknown policy, postmaster and account defaults. Errors map through errors.ts:
 * 400 naming the field, 404 unknown, 409 exists already or not empty (remove without force).
 */
import { z } from 'zod';
import {
  addDomain,
  getDomain,
  listDomains,
  removeDomain,
  updateDomain,
} from '../../../../core/admin/domains.ts';
import { mayManageDomain } from '../../../../core/admin-access/admin-access.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute, type RequestContext } from '../route.ts';
import { domainParams, settingsSchema } from './directory-schemas.ts';

export const addDomainBody = z.object({
  name: z.string().min(1).max(253),
  mailToUnknown: z.string().max(300).optional(),
  postmaster: z.string().max(254).optional(),
});

export const updateDomainBody = z.object({
  mailToUnknown: z.string().max(300).optional(),
  postmaster: z.string().max(254).nullable().optional(),
  defaults: settingsSchema.optional(),
  force: z.boolean().optional(),
});

/** The domains the caller administers (every domain for a cluster administrator). */
export async function visibleDomains(deps: AdminRouteDeps, ctx: RequestContext) {
  const all = await listDomains(deps.storage);
  return all.filter((d) => mayManageDomain(ctx.principal, d.name));
}

export function domainRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  const readDomain = (_ctx: RequestContext, i: { params: { domain: string } }) =>
    getDomain(storage, { name: i.params.domain });
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains',
      summary: 'The domains the caller administers, sorted',
      access: 'any',
      handler: async (ctx) => ({ items: await visibleDomains(deps, ctx) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains',
      summary: 'Add a domain',
      access: 'cluster',
      body: addDomainBody,
      status: 201,
      audit: {
        action: 'domain.create',
        target: ({ body }) => body.name.trim().toLowerCase(),
        domain: ({ body }) => body.name,
        read: (_ctx, { body }) => getDomain(storage, { name: body.name }),
      },
      handler: (_ctx, { body }) => addDomain(storage, body),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain',
      summary: 'A domain with its counts and the defaults its accounts inherit',
      access: { domainParam: 'domain' },
      params: domainParams,
      handler: readDomain,
    }),
    apiRoute({
      method: 'PATCH',
      path: '/api/v1/domains/:domain',
      summary: "Change a domain's mail-to-unknown policy, postmaster or account defaults",
      access: { domainParam: 'domain' },
      params: domainParams,
      body: updateDomainBody,
      audit: {
        action: 'domain.update',
        target: ({ params }) => params.domain,
        domain: ({ params }) => params.domain,
        read: readDomain,
      },
      handler: (_ctx, { params, body }) => updateDomain(storage, { name: params.domain, ...body }),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/domains/:domain',
      summary: 'Remove a domain (force: with its accounts, aliases and forwarders)',
      access: 'cluster',
      params: domainParams,
      query: z.object({ force: z.enum(['true', 'false']).optional() }),
      audit: {
        action: 'domain.remove',
        target: ({ params }) => params.domain,
        domain: ({ params }) => params.domain,
        read: readDomain,
      },
      handler: (_ctx, { params, query }) =>
        removeDomain(storage, { name: params.domain, force: query.force === 'true' }),
    }),
  ];
}
