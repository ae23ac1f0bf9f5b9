/**
 * The Domains pages: the list (a domain administrator sees its domains only) with the add form for
 * cluster administrators, and a domain's page: its settings (mail to unknown names, postmaster,
 * the defaults its accounts inherit: stored, effective, where from) with an edit form, its aliases,
 * forwarders and DKIM keys with their forms. Every form posts to its own path and comes back here
 * (POST-redirect-GET); a refusal shows the page again with the message beside the field, nothing
 * saved. The use cases are core/admin's, as over the API.
 */
import { z } from 'zod';
import { addAlias, listAliases, removeAlias } from '../../../../core/admin/aliases.ts';
import { generateDkimKey, listDkimKeys, removeDkimKey, rotateDkimKey } from '../../../../core/admin/dkim.ts';
import { addDomain, getDomain, updateDomain } from '../../../../core/admin/domains.ts';
import { addForwarder, listForwarders, removeForwarder } from '../../../../core/admin/forwarders.ts';
import type { MailToUnknown } from '../../../../core/ports/directory.ts';
import type { AdminRouteDeps } from '../admin-routes.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import { requireInDomain, requireManagedAddress } from '../routes/directory-schemas.ts';
import { visibleDomains } from '../routes/domains.ts';
import {
  buttonForm,
  errorsFor,
  formFields,
  formStart,
  page,
  seg,
  selectField,
  settingsInputs,
  settingsPatch,
  settingsTable,
} from './directory-widgets.ts';

type Form = { values?: Readonly<Record<string, string>>; errors?: FieldErrors };

const mailToUnknownText = (m: MailToUnknown) => (m.action === 'reroute' ? `reroute:${m.to}` : m.action);
const text = (max: number) => z.string().trim().max(max);
const domainParams = z.object({ domain: z.string().min(1).max(253) });

async function listPage(deps: AdminRouteDeps, ctx: RequestContext, form: Form = {}): Promise<SafeHtml> {
  const domains = await visibleDomains(deps, ctx);
  const rows = domains.map(
    (d) =>
      html`<tr><th scope="row"><a href="/domains/${seg(d.name)}">${d.name}</a></th><td>${mailToUnknownText(d.mailToUnknown)}</td><td><a href="/domains/${seg(d.name)}/accounts">Accounts</a></td></tr>`,
  );
  const table =
    domains.length === 0
      ? html`<p>No domains yet.</p>`
      : html`<table><caption class="skip">Domains</caption>
<thead><tr><th scope="col">Domain</th><th scope="col">Mail to unknown names</th><th scope="col">Accounts</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  const add =
    ctx.principal.role === 'cluster'
      ? html`<h2>Add a domain</h2>
<form method="post" action="/domains" novalidate>${formStart(ctx, form.errors)}
${field({ name: 'name', label: 'Domain name', value: form.values?.name, errors: form.errors, required: true })}
<button type="submit">Add domain</button></form>`
      : html``;
  return page(ctx, 'Domains', '/domains', html`${table}${add}`);
}

async function domainPage(
  deps: AdminRouteDeps,
  ctx: RequestContext,
  name: string,
  form: Form = {},
): Promise<SafeHtml> {
  const { storage } = deps;
  const [d, aliases, forwarders, keys] = await Promise.all([
    getDomain(storage, { name }),
    listAliases(storage, { domain: name }),
    listForwarders(storage, { domain: name }),
    listDkimKeys(storage, { domain: name }),
  ]);
  const base = `/domains/${seg(d.name)}`;
  const errs = (names: string[]) => errorsFor(form.errors, names);
  const v = (k: string, fallback = '') => form.values?.[k] ?? fallback;
  const settingsErrors = errs(['mailToUnknown', 'postmaster', ...Object.keys(d.effective.settings)]);
  const settings = html`<h2 id="settings">Settings</h2>
<p>${d.accounts} accounts (<a href="${base}/accounts">list</a>), ${d.aliases} aliases, ${d.forwarders} forwarders. <a href="${base}/rules">Rules</a></p>
${settingsTable('Defaults for the accounts of this domain', d.effective, d.defaults)}
<form method="post" action="${base}" novalidate>${formStart(ctx, settingsErrors)}
${field({ name: 'mailToUnknown', label: 'Mail to unknown names (reject, discard, accept-and-bounce, reroute:<address>)', value: v('mailToUnknown', mailToUnknownText(d.mailToUnknown)), errors: settingsErrors })}
${field({ name: 'postmaster', label: 'Postmaster (empty: the cluster’s)', value: v('postmaster', d.postmaster ?? ''), errors: settingsErrors })}
<fieldset><legend>Account defaults (empty: inherited from the cluster)</legend>
${settingsInputs(d.defaults, form.values && 'mailToUnknown' in form.values ? form.values : undefined, settingsErrors)}
</fieldset>
<button type="submit">Save settings</button></form>`;
  const aliasErrors = errs(['aliasAddress', 'aliasAccount']);
  const aliasSection = html`<h2 id="aliases">Aliases</h2>
${
  aliases.length === 0
    ? html`<p>No aliases.</p>`
    : html`<table><caption class="skip">Aliases</caption><thead><tr><th scope="col">Alias</th><th scope="col">Account</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${aliases.map(
        (a) =>
          html`<tr><th scope="row">${a.address}</th><td><a href="/accounts/${seg(a.account)}">${a.account}</a></td><td>${buttonForm({ action: `${base}/aliases/remove`, label: `Remove ${a.address}`, csrfToken: ctx.csrfToken, hidden: { address: a.address }, confirm: `Remove alias ${a.address}?` })}</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${base}/aliases" novalidate>${formStart(ctx, aliasErrors)}
${field({ name: 'aliasAddress', label: 'Alias address', value: v('aliasAddress'), errors: aliasErrors })}
${field({ name: 'aliasAccount', label: 'Account it names', value: v('aliasAccount'), errors: aliasErrors })}
<button type="submit">Add alias</button></form>`;
  const fwdErrors = errs(['forwarderAddress', 'forwarderTarget']);
  const forwarderSection = html`<h2 id="forwarders">Forwarders</h2>
${
  forwarders.length === 0
    ? html`<p>No forwarders.</p>`
    : html`<table><caption class="skip">Forwarders</caption><thead><tr><th scope="col">Address</th><th scope="col">Forwards to</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${forwarders.map(
        (f) =>
          html`<tr><th scope="row">${f.address}</th><td>${f.target}</td><td>${buttonForm({ action: `${base}/forwarders/remove`, label: `Remove ${f.address}`, csrfToken: ctx.csrfToken, hidden: { address: f.address }, confirm: `Remove forwarder ${f.address}?` })}</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${base}/forwarders" novalidate>${formStart(ctx, fwdErrors)}
${field({ name: 'forwarderAddress', label: 'Address', value: v('forwarderAddress'), errors: fwdErrors })}
${field({ name: 'forwarderTarget', label: 'Forward to', value: v('forwarderTarget'), errors: fwdErrors })}
<button type="submit">Add forwarder</button></form>`;
  const dkimErrors = errs(['dkimAlgorithm', 'dkimSelector']);
  const hasActive = keys.some((k) => k.state === 'active');
  const dkimSection = html`<h2 id="dkim">DKIM keys</h2>
${
  keys.length === 0
    ? html`<p>No DKIM keys: mail from this domain is not signed.</p>`
    : html`<table><caption class="skip">DKIM keys</caption><thead><tr><th scope="col">Selector</th><th scope="col">Algorithm</th><th scope="col">State</th><th scope="col">DNS record (TXT)</th><th scope="col"><span class="skip">Actions</span></th></tr></thead><tbody>${keys.map(
        (k) =>
          html`<tr><th scope="row">${k.selector}</th><td>${k.algorithm}</td><td>${k.state}</td><td><code>${k.record.name}</code><br><code>${k.record.value}</code></td><td>${
            k.state === 'retired'
              ? buttonForm({
                  action: `${base}/dkim/remove`,
                  label: `Remove ${k.selector}`,
                  csrfToken: ctx.csrfToken,
                  hidden: { selector: k.selector },
                  confirm: `Remove DKIM key ${k.selector}?`,
                })
              : html``
          }</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${base}/dkim" novalidate>${formStart(ctx, dkimErrors)}
${selectField({
  name: 'dkimAlgorithm',
  label: 'Algorithm',
  options: hasActive
    ? [
        ['', 'as the active key'],
        ['rsa', 'RSA-2048'],
        ['ed25519', 'Ed25519'],
      ]
    : [
        ['rsa', 'RSA-2048'],
        ['ed25519', 'Ed25519'],
      ],
  value: v('dkimAlgorithm'),
  errors: dkimErrors,
})}
${field({ name: 'dkimSelector', label: 'Selector (empty: made from the algorithm and date)', value: v('dkimSelector'), errors: dkimErrors })}
<button type="submit">${hasActive ? 'Rotate: new signing key' : 'Generate the first key'}</button></form>`;
  return page(
    ctx,
    `Domain ${d.name}`,
    '/domains',
    html`${settings}${aliasSection}${forwarderSection}${dkimSection}`,
  );
}

export function domainPages(deps: AdminRouteDeps) {
  const { storage } = deps;
  const byDomain = { domainParam: 'domain' } as const;
  const again = (
    ctx: RequestContext,
    form: {
      values: Readonly<Record<string, string>>;
      errors: FieldErrors;
      params: Readonly<Record<string, string>>;
    },
  ) => domainPage(deps, ctx, form.params.domain ?? '', form);
  const back = (domain: string, anchor: string, flash: string) => ({
    redirect: `/domains/${seg(domain)}#${anchor}`,
    flash,
  });
  return [
    pageRoute({
      method: 'GET',
      path: '/domains',
      title: 'Domains',
      access: 'any',
      handler: async (ctx) => ({ html: await listPage(deps, ctx) }),
    }),
    pageRoute({
      method: 'POST',
      path: '/domains',
      title: 'Domains',
      access: 'cluster',
      body: z.object({ name: text(253).min(1, 'Enter the domain name') }),
      audit: {
        action: 'domain.create',
        target: ({ body }) => body.name.toLowerCase(),
        domain: ({ body }) => body.name,
      },
      invalid: (ctx, form) => listPage(deps, ctx, form),
      handler: async (_ctx, { body }) => {
        const d = await formFields({ name: 'name' }, 'name', () => addDomain(storage, { name: body.name }));
        return { redirect: `/domains/${seg(d.name)}`, flash: `Domain ${d.name} added.` };
      },
    }),
    pageRoute({
      method: 'GET',
      path: '/domains/:domain',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      handler: async (ctx, { params }) => ({ html: await domainPage(deps, ctx, params.domain) }),
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z
        .object({ mailToUnknown: text(300).optional(), postmaster: text(254).optional() })
        .catchall(text(1000)),
      audit: {
        action: 'domain.update',
        target: ({ params }) => params.domain,
        domain: ({ params }) => params.domain,
        read: (_ctx, { params }) => getDomain(storage, { name: params.domain }),
      },
      invalid: again,
      handler: async (_ctx, { params, body }) => {
        const current = await getDomain(storage, { name: params.domain });
        await formFields({ 'defaults.': '' }, 'mailToUnknown', () =>
          updateDomain(storage, {
            name: params.domain,
            ...(body.mailToUnknown ? { mailToUnknown: body.mailToUnknown } : {}),
            ...(body.postmaster !== undefined
              ? { postmaster: body.postmaster === '' ? null : body.postmaster }
              : {}),
            defaults: settingsPatch(body as Record<string, string>, current.defaults),
          }),
        );
        return back(params.domain, 'settings', 'Settings saved.');
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/aliases',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({
        aliasAddress: text(254).min(1, 'Enter the alias address'),
        aliasAccount: text(254).min(1, 'Enter the account address'),
      }),
      audit: {
        action: 'alias.create',
        target: ({ body }) => body.aliasAddress,
        domain: ({ params }) => params.domain,
      },
      invalid: again,
      handler: async (ctx, { params, body }) => {
        await formFields(
          { address: 'aliasAddress', account: 'aliasAccount' },
          'aliasAddress',
          async () => {
            requireInDomain(body.aliasAddress, params.domain, 'address');
            requireManagedAddress(ctx.principal, body.aliasAccount, 'account');
            await addAlias(storage, { address: body.aliasAddress, account: body.aliasAccount });
          },
          'aliasAccount',
        );
        return back(params.domain, 'aliases', `Alias ${body.aliasAddress} added.`);
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/aliases/remove',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({ address: text(254).min(1) }),
      audit: {
        action: 'alias.remove',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
      },
      handler: async (_ctx, { params, body }) => {
        requireInDomain(body.address, params.domain, 'address');
        await removeAlias(storage, { address: body.address });
        return back(params.domain, 'aliases', `Alias ${body.address} removed.`);
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/forwarders',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({
        forwarderAddress: text(254).min(1, 'Enter the address'),
        forwarderTarget: text(254).min(1, 'Enter where it forwards to'),
      }),
      audit: {
        action: 'forwarder.create',
        target: ({ body }) => body.forwarderAddress,
        domain: ({ params }) => params.domain,
      },
      invalid: again,
      handler: async (_ctx, { params, body }) => {
        await formFields(
          { address: 'forwarderAddress', target: 'forwarderTarget' },
          'forwarderAddress',
          async () => {
            requireInDomain(body.forwarderAddress, params.domain, 'address');
            await addForwarder(storage, { address: body.forwarderAddress, target: body.forwarderTarget });
          },
        );
        return back(params.domain, 'forwarders', `Forwarder ${body.forwarderAddress} added.`);
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/forwarders/remove',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({ address: text(254).min(1) }),
      audit: {
        action: 'forwarder.remove',
        target: ({ body }) => body.address,
        domain: ({ params }) => params.domain,
      },
      handler: async (_ctx, { params, body }) => {
        requireInDomain(body.address, params.domain, 'address');
        await removeForwarder(storage, { address: body.address });
        return back(params.domain, 'forwarders', `Forwarder ${body.address} removed.`);
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/dkim',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({ dkimAlgorithm: text(20).optional(), dkimSelector: text(63).optional() }),
      audit: {
        action: 'dkim.generate',
        target: ({ params }) => params.domain,
        domain: ({ params }) => params.domain,
        read: (_ctx, { params }) => listDkimKeys(storage, { domain: params.domain }),
      },
      invalid: again,
      handler: async (_ctx, { params, body }) => {
        const input = {
          domain: params.domain,
          ...(body.dkimAlgorithm ? { algorithm: body.dkimAlgorithm } : {}),
          ...(body.dkimSelector ? { selector: body.dkimSelector } : {}),
        };
        const key = await formFields(
          { algorithm: 'dkimAlgorithm', selector: 'dkimSelector' },
          'dkimSelector',
          async () => {
            const active = (await listDkimKeys(storage, { domain: params.domain })).some(
              (k) => k.state === 'active',
            );
            return active ? rotateDkimKey(storage, input) : generateDkimKey(storage, input);
          },
        );
        return back(
          params.domain,
          'dkim',
          `DKIM key ${key.selector} signs from now on; publish its DNS record.`,
        );
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/domains/:domain/dkim/remove',
      title: 'Domain',
      access: byDomain,
      params: domainParams,
      body: z.object({ selector: text(63).min(1) }),
      audit: {
        action: 'dkim.remove',
        target: ({ params }) => params.domain,
        domain: ({ params }) => params.domain,
        read: (_ctx, { params }) => listDkimKeys(storage, { domain: params.domain }),
      },
      handler: async (_ctx, { params, body }) => {
        await removeDkimKey(storage, { domain: params.domain, selector: body.selector });
        return back(params.domain, 'dkim', `DKIM key ${body.selector} removed.`);
      },
    }),
  ];
}
