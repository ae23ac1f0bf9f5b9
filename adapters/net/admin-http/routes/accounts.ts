/**
 * Accounts over the API (core/admin/accounts.ts): a domain's accounts a page at a time (address
 * prefix search, opaque cursor), add, get (stored settings, effective ones and the level each
 * comes from), update settings, set the password, remove. Per-account routes are scoped by the
 * domain of the address in the path; adding checks the address is in the path's domain.
 */
import { z } from 'zod';
import {
  addAccount,
  getAccount,
  listAccounts,
  removeAccount,
  setAccountPassword,
  updateAccountSettings,
} from '../../../../core/admin/accounts.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute, type RequestContext } from '../route.ts';
import {
  addressDomainOf,
  addressParams,
  domainParams,
  listQuery,
  requireInDomain,
  settingsSchema,
} from './directory-schemas.ts';

export const addAccountBody = z.object({
  address: z.string().min(3).max(254),
  password: z.string().max(1000).optional(),
  realName: z.string().max(200).optional(),
});

export const accountSettingsBody = z.object({ settings: settingsSchema, force: z.boolean().optional() });
export const passwordBody = z.object({ password: z.string().min(1).max(1000) });

const byAddress = { addressParam: 'address' } as const;

export function accountRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  const readAccount = (_ctx: RequestContext, i: { params: { address: string } }) =>
    getAccount(storage, { address: i.params.address });
  const audit = (action: string, read = true) => ({
    action,
    target: ({ params }: { params: { address: string } }) => params.address,
    domain: ({ params }: { params: { address: string } }) => addressDomainOf(params.address),
    ...(read ? { read: readAccount } : {}),
  });
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain/accounts',
      summary: "A page of a domain's accounts in address order (search: address prefix)",
      access: { domainParam: 'domain' },
      params: domainParams,
      query: listQuery,
      handler: (_ctx, { params, query }) =>
        listAccounts(storage, {
          domain: params.domain,
          limit: query.limit,
          ...(query.search ? { search: query.search } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/domains/:domain/accounts',
      summary: 'Add an account to the domain (without a password it cannot sign in)',
      access: { domainParam: 'domain' },
      params: domainParams,
      body: addAccountBody,
      status: 201,
      audit: {
        action: 'account.create',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
        read: (_ctx, { body }) => getAccount(storage, { address: body.address }),
      },
      handler: (_ctx, { params, body }) => {
        requireInDomain(body.address, params.domain, 'address');
        return addAccount(storage, body);
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/accounts/:address',
      summary: 'An account: stored settings, effective settings with their sources, aliases',
      access: byAddress,
      params: addressParams,
      handler: readAccount,
    }),
    apiRoute({
      method: 'PATCH',
      path: '/api/v1/accounts/:address',
      summary: 'Change account settings ("default" clears one)',
      access: byAddress,
      params: addressParams,
      body: accountSettingsBody,
      audit: audit('account.update'),
      handler: (_ctx, { params, body }) =>
        updateAccountSettings(storage, { address: params.address, ...body }),
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/accounts/:address/password',
      summary: "Set an account's password",
      access: byAddress,
      params: addressParams,
      body: passwordBody,
      audit: audit('account.password', false),
      handler: (_ctx, { params, body }) =>
        setAccountPassword(storage, { address: params.address, password: body.password }),
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/accounts/:address',
      summary: 'Remove an account with its aliases and rule set (mailbox data is kept)',
      access: byAddress,
      params: addressParams,
      audit: audit('account.remove'),
      handler: (_ctx, { params }) => removeAccount(storage, { address: params.address }),
    }),
  ];
}
