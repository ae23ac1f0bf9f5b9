/**
 * DKIM keys over the API (core/admin/dkim.ts): a domain's keys with the DNS TXT record to
 * publish (never the private key), generate the first key, rotate (the new key signs, the old
 * one retires), remove a retired key. A key state that refuses the change answers 409.
 */
import { z } from 'zod';
import { generateDkimKey, listDkimKeys, removeDkimKey, rotateDkimKey } from '../../../../core/admin/dkim.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute } from '../route.ts';
import { domainParams } from './directory-schemas.ts';

export const newKeyBody = z.object({
  algorithm: z.string().max(20).optional(),
  selector: z.string().max(63).optional(),
});

export function dkimRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  const byDomain = { domainParam: 'domain' } as const;
  const readKeys = (_ctx: unknown, { params }: { params: { domain: string } }) =>
    listDkimKeys(storage, { domain: params.domain });
  const audit = (action: string) => ({
    action,
    target: ({ params }: { params: { domain: string } }) => params.domain,
    domain: ({ params }: { params: { domain: string } }) => params.domain,
    read: readKeys,
  });
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain/dkim',
      summary: "The domain's DKIM keys, oldest first, with the DNS records to publish",
      access: byDomain,
      params: domainParams,
      handler: async (ctx, input) => ({ items: await readKeys(ctx, input) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains/:domain/dkim',
      summary: "Generate the domain's first DKIM key (rsa or ed25519); it signs at once",
      access: byDomain,
      params: domainParams,
      body: newKeyBody,
      status: 201,
      audit: audit('dkim.generate'),
      handler: (_ctx, { params, body }) => generateDkimKey(storage, { domain: params.domain, ...body }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains/:domain/dkim/rotate',
      summary: 'Rotate: a new key signs from now on, the active one retires',
      access: byDomain,
      params: domainParams,
      body: newKeyBody,
      status: 201,
      audit: audit('dkim.rotate'),
      handler: (_ctx, { params, body }) => rotateDkimKey(storage, { domain: params.domain, ...body }),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/domains/:domain/dkim/:selector',
      summary: 'Remove a retired DKIM key (the active key is refused: 409)',
      access: byDomain,
      params: domainParams.extend({ selector: z.string().min(1).max(63) }),
      audit: audit('dkim.remove'),
      handler: (_ctx, { params }) => removeDkimKey(storage, params),
    }),
  ];
}
