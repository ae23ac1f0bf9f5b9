/**
 * The Accounts pages: a domain's accounts a page at a time (address-prefix search, "Next page"
 * carries the cursor, so tens of thousands stay fast) with the add form; `/accounts` picks the
 * domain (straight to it for an administrator of one domain); an account's page: its settings
 * (stored, effective and where each comes from) with an edit form, the password form, its
 * aliases and a link to its rules. Refusals come back beside the field, nothing saved.
 */
import { z } from 'zod';
import {
  addAccount,
  getAccount,
  listAccounts,
  setAccountPassword,
  updateAccountSettings,
} from '../../../../core/admin/accounts.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import { addressDomainOf, requireInDomain } from '../routes/directory-schemas.ts';
import { visibleDomains } from '../routes/domains.ts';
import {
  errorsFor,
  formFields,
  formStart,
  page,
  seg,
  settingsInputs,
  settingsPatch,
  settingsTable,
} from './directory-widgets.ts';

type Form = { values?: Readonly<Record<string, string>>; errors?: FieldErrors };
type Again = {
  values: Readonly<Record<string, string>>;
  errors: FieldErrors;
  params: Readonly<Record<string, string>>;
};

const PAGE_SIZE = 50;
const domainParams = z.object({ domain: z.string().min(1).max(253) });
const addressParams = z.object({ address: z.string().min(3).max(254) });
const listQuery = z.object({
  search: z.string().trim().max(254).optional(),
  cursor: z.string().max(2000).optional(),
});

async function listPage(
  deps: AdminRouteDeps,
  ctx: RequestContext,
  domain: string,
  query: { search?: string | undefined; cursor?: string | undefined },
  form: Form = {},
): Promise<SafeHtml> {
  const search = query.search || undefined;
  const list = await listAccounts(deps.storage, {
    domain,
    limit: PAGE_SIZE,
    ...(search ? { search } : {}),
    ...(query.cursor ? { cursor: query.cursor } : {}),
  });
  const base = `/domains/${seg(domain)}/accounts`;
  const rows = list.items.map(
    (a) =>
      html`<tr><th scope="row"><a href="/accounts/${seg(a.address)}">${a.address}</a></th><td>${a.realName ?? ''}</td><td>${a.hasPassword ? 'yes' : 'no'}</td></tr>`,
  );
  const next = list.nextCursor
    ? html`<p><a href="${base}?${new URLSearchParams({ ...(search ? { search } : {}), cursor: list.nextCursor }).toString()}" rel="next">Next page</a></p>`
    : html``;
  const body = html`<p><a href="/domains/${seg(domain)}">Domain ${domain}</a></p>
<form method="get" action="${base}" role="search" class="search">
<div class="field"><label for="f-search">Addresses starting with</label>
<input id="f-search" name="search" type="search" value="${search ?? ''}"></div>
<button type="submit">Search</button></form>
${
  list.items.length === 0
    ? html`<p>No accounts${search ? html` starting with “${search}”` : html``}.</p>`
    : html`<table><caption class="skip">Accounts of ${domain}</caption>
<thead><tr><th scope="col">Address</th><th scope="col">Real name</th><th scope="col">Password set</th></tr></thead>
<tbody>${rows}</tbody></table>`
}
${next}
<h2>Add an account</h2>
<form method="post" action="${base}" novalidate>${formStart(ctx, form.errors)}
${field({ name: 'address', label: 'Address', value: form.values?.address, errors: form.errors, required: true })}
${field({ name: 'realName', label: 'Real name', value: form.values?.realName, errors: form.errors })}
${field({ name: 'password', label: 'Password (empty: cannot sign in yet)', type: 'password', errors: form.errors, autocomplete: 'new-password' })}
<button type="submit">Add account</button></form>`;
  return page(ctx, `Accounts of ${domain}`, '/accounts', body);
}

async function accountPage(deps: AdminRouteDeps, ctx: RequestContext, address: string, form: Form = {}) {
  const a = await getAccount(deps.storage, { address });
  const base = `/accounts/${seg(a.address)}`;
  const settingNames = Object.keys(a.effective.settings);
  const sErr = errorsFor(form.errors, settingNames);
  const pErr = errorsFor(form.errors, ['password']);
  const values = form.values && settingNames.some((n) => n in (form.values ?? {})) ? form.values : undefined;
  const body = html`<p>In domain <a href="/domains/${seg(a.domain)}">${a.domain}</a> · <a href="/domains/${seg(a.domain)}/accounts">all accounts</a> · <a href="${base}/rules">Rules</a></p>
<dl><dt>Real name</dt><dd>${a.realName ?? '—'}</dd><dt>Password set</dt><dd>${a.hasPassword ? 'yes' : 'no'}</dd>
<dt>Aliases</dt><dd>${a.aliases.length > 0 ? a.aliases.join(', ') : '—'}</dd></dl>
<h2 id="settings">Settings</h2>
${settingsTable(`Settings of ${a.address}`, a.effective, a.settings)}
<form method="post" action="${base}/settings" novalidate>${formStart(ctx, sErr)}
<fieldset><legend>Stored on the account (empty: inherited)</legend>
${settingsInputs(a.settings, values, sErr)}
</fieldset>
<button type="submit">Save settings</button></form>
<h2 id="password">Password</h2>
<form method="post" action="${base}/password" novalidate>${formStart(ctx, pErr)}
${field({ name: 'password', label: 'New password', type: 'password', errors: pErr, required: true, autocomplete: 'new-password' })}
<button type="submit">Set password</button></form>`;
  return page(ctx, `Account ${a.address}`, '/accounts', body);
}

export function accountPages(deps: AdminRouteDeps) {
  const { storage } = deps;
  const byDomain = { domainParam: 'domain' } as const;
  const byAddress = { addressParam: 'address' } as const;
  const againAccount = (ctx: RequestContext, form: Again) =>
    accountPage(deps, ctx, form.params.address ?? '', form);
  const readAccount = (_ctx: RequestContext, { params }: { params: { address: string } }) =>
    getAccount(storage, { address: params.address });
  return [
    pageRoute({
      method: 'GET',
      path: '/accounts',
      title: 'Accounts',
      access: 'any',
      handler: async (ctx) => {
        const domains = await visibleDomains(deps, ctx);
        if (domains.length === 1) return { redirect: `/domains/${seg(domains[0]!.name)}/accounts` };
        const body =
          domains.length === 0
            ? html`<p>No domains yet: <a href="/domains">add one</a> first.</p>`
            : html`<p>Choose a domain:</p><ul>${domains.map(
                (d) => html`<li><a href="/domains/${seg(d.name)}/accounts">${d.name}</a></li>`,
              )}</ul>`;
        return { html: page(ctx, 'Accounts', '/accounts', body) };
      },
    }),
    pageRoute({
      method: 'GET',
      path: '/domains/:domain/accounts',
      title: 'Accounts',
      access: byDomain,
      params: domainParams,
      query: listQuery,
      handler: async (ctx, { params, query }) => ({ html: await listPage(deps, ctx, params.domain, query) }),
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/accounts',
      title: 'Accounts',
      access: byDomain,
      params: domainParams,
      body: z.object({
        address: z.string().trim().min(1, 'Enter the address').max(254),
        realName: z.string().trim().max(200).optional(),
        password: z.string().max(1000).optional(),
      }),
      audit: {
        action: 'account.create',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
        read: (_ctx, { body }) => getAccount(storage, { address: body.address }),
      },
      invalid: (ctx, form) => listPage(deps, ctx, form.params.domain ?? '', {}, form),
      handler: async (_ctx, { params, body }) => {
        const a = await formFields(
          { address: 'address', password: 'password', realName: 'realName' },
          'address',
          () => {
            requireInDomain(body.address, params.domain, 'address');
            return addAccount(storage, {
              address: body.address,
              ...(body.realName ? { realName: body.realName } : {}),
              ...(body.password ? { password: body.password } : {}),
            });
          },
        );
        return { redirect: `/accounts/${seg(a.address)}`, flash: `Account ${a.address} added.` };
      },
    }),
    pageRoute({
      method: 'GET',
      path: '/accounts/:address',
      title: 'Account',
      access: byAddress,
      params: addressParams,
      handler: async (ctx, { params }) => ({ html: await accountPage(deps, ctx, params.address) }),
    }),
    pageRoute({
      method: 'POST',
      path: '/accounts/:address/settings',
      title: 'Account',
      access: byAddress,
      params: addressParams,
      body: z.record(z.string(), z.string().max(1000)),
      audit: {
        action: 'account.update',
        target: ({ params }) => params.address,
        domain: ({ params }) => addressDomainOf(params.address),
        read: readAccount,
      },
      invalid: againAccount,
      handler: async (_ctx, { params, body }) => {
        const current = await getAccount(storage, { address: params.address });
        await formFields({ 'settings.': '' }, 'Enabled', () =>
          updateAccountSettings(storage, {
            address: params.address,
            settings: settingsPatch(body, current.settings),
          }),
        );
        return { redirect: `/accounts/${seg(current.address)}#settings`, flash: 'Settings saved.' };
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/accounts/:address/password',
      title: 'Account',
      access: byAddress,
      params: addressParams,
      body: z.object({ password: z.string().min(1, 'Enter the new password').max(1000) }),
      audit: {
        action: 'account.password',
        target: ({ params }) => params.address,
        domain: ({ params }) => addressDomainOf(params.address),
      },
      invalid: againAccount,
      handler: async (_ctx, { params, body }) => {
        const done = await setAccountPassword(storage, { address: params.address, password: body.password });
        return { redirect: `/accounts/${seg(done.address)}#password`, flash: 'Password set.' };
      },
    }),
  ];
}
