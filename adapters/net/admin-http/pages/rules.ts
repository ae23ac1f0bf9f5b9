/**
 * The Rules editor: the cluster's rule set (cluster administrators, `/rules`), a domain's
 * (`/domains/:domain/rules`) and an account's (`/accounts/:address/rules`), each a textarea
 * holding the rule set as the JSON text `strato rules set` reads. Saving validates first: an
 * invalid set comes back with the problems beside the field and nothing stored. An account's page
 * also has the dry run: paste a raw message, see the plan the domain's then the account's rules
 * make (nothing delivered).
 */
import { z } from 'zod';
import { getRuleSet, type RuleSetTarget, setRuleSet } from '../../../../core/admin/rules.ts';
import { dryRunRules, type RulesDryRunResult } from '../../../../core/admin/rules-dry-run.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import { addressDomainOf } from '../routes/directory-schemas.ts';
import { visibleDomains } from '../routes/domains.ts';
import { errorsFor, formStart, page, seg, textareaField } from './directory-widgets.ts';

type Form = { values?: Readonly<Record<string, string>>; errors?: FieldErrors };
type Again = {
  values: Readonly<Record<string, string>>;
  errors: FieldErrors;
  params: Readonly<Record<string, string>>;
};

const rulesBody = z.object({ rules: z.string().max(1_000_000) });
const dryRunBody = z.object({
  message: z.string().min(1, 'Paste a raw message (headers, an empty line, the body)').max(10_000_000),
  from: z.string().trim().max(254).optional(),
});

/** Where a rule set's editor lives, and what it is called. */
function place(target: RuleSetTarget): { path: string; title: string } {
  if (target.scope === 'domain')
    return { path: `/domains/${seg(target.name!)}/rules`, title: `Rules of ${target.name}` };
  if (target.scope === 'account')
    return { path: `/accounts/${seg(target.name!)}/rules`, title: `Rules of ${target.name}` };
  return { path: '/rules', title: 'Cluster rules' };
}

async function editor(
  deps: AdminRouteDeps,
  ctx: RequestContext,
  target: RuleSetTarget,
  form: Form = {},
  dryRun?: RulesDryRunResult,
): Promise<SafeHtml> {
  const view = await getRuleSet(deps.storage, target);
  const { path, title } = place(target);
  const rErr = errorsFor(form.errors, ['rules']);
  const dErr = errorsFor(form.errors, ['message', 'from', 'source', 'rcpt', 'at', 'account']);
  const isDry = form.values !== undefined && 'message' in form.values;
  const rulesText =
    !isDry && form.values?.rules !== undefined ? form.values.rules : JSON.stringify(view.rules, null, 2);
  const up =
    target.scope === 'account'
      ? html`<p>Account <a href="/accounts/${seg(target.name!)}">${target.name}</a>; its domain’s rules run first: <a href="/domains/${seg(addressDomainOf(target.name!) ?? '')}/rules">domain rules</a>.</p>`
      : target.scope === 'domain'
        ? html`<p>Domain <a href="/domains/${seg(target.name!)}">${target.name}</a>; they run before each account’s own rules. Try them on a message from an account’s rules page.</p>`
        : html``;
  const dry =
    target.scope === 'account'
      ? html`<h2 id="dry-run">Dry run</h2>
<form method="post" action="${path}/dry-run" novalidate>${formStart(ctx, dErr)}
${textareaField({ name: 'message', label: 'Raw message', value: isDry ? form.values?.message : '', errors: dErr, rows: 10 })}
${field({ name: 'from', label: 'Envelope sender (empty: Return-Path, else From)', value: isDry ? form.values?.from : '', errors: dErr })}
<button type="submit">Run the rules</button></form>
${
  dryRun
    ? html`<section aria-labelledby="plan"><h3 id="plan">Plan: ${dryRun.plan.fate.kind}</h3><pre class="mono">${dryRun.explanation}</pre>
<details><summary>The plan as JSON</summary><pre class="mono">${JSON.stringify(dryRun.plan, null, 2)}</pre></details></section>`
    : html``
}`
      : html``;
  const body = html`${up}
<form method="post" action="${path}" novalidate>${formStart(ctx, rErr)}
${textareaField({ name: 'rules', label: `Rule set (JSON, as strato rules set reads it; [] removes it) — ${view.rules.length} rule(s) stored`, value: rulesText, errors: rErr, rows: 20 })}
<button type="submit">Validate and save</button></form>${dry}`;
  return page(ctx, title, target.scope === 'cluster' ? '/rules' : '/rules', body);
}

function ruleRoutesFor(
  deps: AdminRouteDeps,
  path: string,
  access: 'cluster' | { domainParam: string } | { addressParam: string },
  params: z.ZodObject | undefined,
  targetOf: (p: Record<string, string>) => RuleSetTarget,
) {
  const { storage } = deps;
  const again = (ctx: RequestContext, form: Again) => editor(deps, ctx, targetOf(form.params), form);
  return [
    pageRoute({
      method: 'GET',
      path,
      title: 'Rules',
      access,
      ...(params ? { params } : {}),
      handler: async (ctx, input) => ({
        html: await editor(deps, ctx, targetOf(input.params as Record<string, string>)),
      }),
    }),
    pageRoute({
      method: 'POST',
      path,
      title: 'Rules',
      access,
      ...(params ? { params } : {}),
      body: rulesBody,
      audit: {
        action: 'rules.set',
        target: (input) => {
          const t = targetOf(input.params as Record<string, string>);
          return t.scope === 'cluster' ? 'cluster' : `${t.scope} ${t.name}`;
        },
        domain: (input) => {
          const t = targetOf(input.params as Record<string, string>);
          return t.scope === 'domain' ? t.name : t.scope === 'account' ? addressDomainOf(t.name!) : undefined;
        },
        read: async (_ctx, input) =>
          (await getRuleSet(storage, targetOf(input.params as Record<string, string>))).rules,
      },
      invalid: again,
      handler: async (_ctx, input) => {
        const target = targetOf(input.params as Record<string, string>);
        const saved = await setRuleSet(storage, { ...target, text: input.body.rules });
        return { redirect: place(target).path, flash: `Saved ${saved.rules.length} rule(s).` };
      },
    }),
  ];
}

export function rulePages(deps: AdminRouteDeps) {
  const domainParams = z.object({ domain: z.string().min(1).max(253) });
  const addressParams = z.object({ address: z.string().min(3).max(254) });
  const account = (p: Record<string, string>): RuleSetTarget => ({ scope: 'account', name: p.address ?? '' });
  return [
    pageRoute({
      method: 'GET',
      path: '/rules',
      title: 'Rules',
      access: 'any',
      handler: async (ctx) => {
        if (ctx.principal.role === 'cluster') return { html: await editor(deps, ctx, { scope: 'cluster' }) };
        const domains = await visibleDomains(deps, ctx);
        const body = html`<p>Rule sets of your domains (an account’s are on its page):</p><ul>${domains.map(
          (d) => html`<li><a href="/domains/${seg(d.name)}/rules">${d.name}</a></li>`,
        )}</ul>`;
        return { html: page(ctx, 'Rules', '/rules', body) };
      },
    }),
    ...ruleRoutesFor(deps, '/rules', 'cluster', undefined, () => ({ scope: 'cluster' })).filter(
      (r) => r.method === 'POST',
    ),
    ...ruleRoutesFor(deps, '/domains/:domain/rules', { domainParam: 'domain' }, domainParams, (p) => ({
      scope: 'domain',
      name: p.domain ?? '',
    })),
    ...ruleRoutesFor(deps, '/accounts/:address/rules', { addressParam: 'address' }, addressParams, account),
    pageRoute({
      method: 'POST',
      path: '/accounts/:address/rules/dry-run',
      title: 'Rules',
      access: { addressParam: 'address' },
      params: addressParams,
      body: dryRunBody,
      invalid: (ctx, form) => editor(deps, ctx, account(form.params), form),
      handler: async (ctx, { params, body }) => {
        const result = await dryRunRules(deps.storage, {
          account: params.address,
          message: body.message,
          ...(body.from ? { from: body.from } : {}),
        });
        const form = { values: { message: body.message, from: body.from ?? '' } };
        return { html: await editor(deps, ctx, account(params), form, result) };
      },
    }),
  ];
}
