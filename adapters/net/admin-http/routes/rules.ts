/**
 * Rule sets over the API (core/admin/rules.ts, rules-dry-run.ts): get and replace the cluster's
 * (cluster administrators), a domain's or an account's rule set, given as JSON (`rules`) or as the
 * text the CLI reads (`text`); validate without storing; dry-run an account's rules on a pasted raw
 * message (nothing delivered). An invalid rule set answers 400 with `problems`, one line each, and
 * nothing is stored.
 */
import { z } from 'zod';
import { getRuleSet, ruleSetRef, setRuleSet, validRules } from '../../../../core/admin/rules.ts';
import { dryRunRules } from '../../../../core/admin/rules-dry-run.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { apiRoute } from '../route.ts';
import { addressDomainOf, addressParams, domainParams } from './directory-schemas.ts';

export const ruleSetBody = z.object({
  rules: z.unknown().optional(),
  text: z.string().max(1_000_000).optional(),
});

export const dryRunBody = z.object({
  message: z.string().min(1).max(10_000_000),
  from: z.string().max(254).optional(),
  source: z.string().max(10).optional(),
  rcpt: z.string().max(254).optional(),
  at: z.union([z.string().max(40), z.number()]).optional(),
});

/** `rules` or `text`, whichever was sent (the use case refuses both or neither). */
const given = (body: z.output<typeof ruleSetBody>) => ({
  ...(body.rules !== undefined ? { rules: body.rules } : {}),
  ...(body.text !== undefined ? { text: body.text } : {}),
});

export function ruleRoutes(deps: AdminRouteDeps) {
  const { storage } = deps;
  const byDomain = { domainParam: 'domain' } as const;
  const byAddress = { addressParam: 'address' } as const;
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/rules/cluster',
      summary: "The cluster's rule set",
      access: 'cluster',
      handler: () => getRuleSet(storage, { scope: 'cluster' }),
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/rules/cluster',
      summary: "Replace the cluster's rule set ([] removes it)",
      access: 'cluster',
      body: ruleSetBody,
      audit: {
        action: 'rules.set',
        target: () => 'cluster',
        read: () => getRuleSet(storage, { scope: 'cluster' }).then((v) => v.rules),
      },
      handler: (_ctx, { body }) => setRuleSet(storage, { scope: 'cluster', ...given(body) }),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/domains/:domain/rules',
      summary: "A domain's rule set",
      access: byDomain,
      params: domainParams,
      handler: (_ctx, { params }) => getRuleSet(storage, { scope: 'domain', name: params.domain }),
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/domains/:domain/rules',
      summary: "Replace a domain's rule set ([] removes it)",
      access: byDomain,
      params: domainParams,
      body: ruleSetBody,
      audit: {
        action: 'rules.set',
        target: ({ params }) => `domain ${params.domain}`,
        domain: ({ params }) => params.domain,
        read: (_ctx, { params }) =>
          getRuleSet(storage, { scope: 'domain', name: params.domain }).then((v) => v.rules),
      },
      handler: (_ctx, { params, body }) =>
        setRuleSet(storage, { scope: 'domain', name: params.domain, ...given(body) }),
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/accounts/:address/rules',
      summary: "An account's rule set",
      access: byAddress,
      params: addressParams,
      handler: (_ctx, { params }) => getRuleSet(storage, { scope: 'account', name: params.address }),
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/accounts/:address/rules',
      summary: "Replace an account's rule set ([] removes it)",
      access: byAddress,
      params: addressParams,
      body: ruleSetBody,
      audit: {
        action: 'rules.set',
        target: ({ params }) => `account ${params.address}`,
        domain: ({ params }) => addressDomainOf(params.address),
        read: (_ctx, { params }) =>
          getRuleSet(storage, { scope: 'account', name: params.address }).then((v) => v.rules),
      },
      handler: (_ctx, { params, body }) =>
        setRuleSet(storage, { scope: 'account', name: params.address, ...given(body) }),
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/rules/validate',
      summary: 'Check a rule set for a scope without storing it (400 lists the problems)',
      access: 'any',
      query: z.object({ scope: z.enum(['cluster', 'domain', 'account']).default('account') }),
      body: ruleSetBody,
      handler: async (_ctx, { query, body }) => {
        const ref = ruleSetRef(
          query.scope === 'cluster'
            ? { scope: 'cluster' }
            : { scope: query.scope, name: query.scope === 'domain' ? 'example.com' : 'a@example.com' },
        );
        const rules = validRules(ref, given(body));
        return { valid: true, scope: query.scope, rules };
      },
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/accounts/:address/rules/dry-run',
      summary: "Run the domain's then the account's rules on a pasted raw message (nothing delivered)",
      access: byAddress,
      params: addressParams,
      body: dryRunBody,
      handler: (_ctx, { params, body }) => dryRunRules(storage, { account: params.address, ...body }),
    }),
  ];
}
