/**
 * The WebAdmin's page frame: header with the signed-in administrator and a sign-out form, the
 * navigation (cluster-only entries hidden from domain administrators), the flash message of the
 * last change, and the page's main content. Also the error page and the form helpers (a labelled
 * field with its message beside it, the CSRF hidden field). Everything goes through `html`.
 */
import type { Principal } from './access-types.ts';
import { CSRF_FIELD } from './csrf.ts';
import { html, type SafeHtml } from './html.ts';
import type { FieldErrors } from './route.ts';

export interface NavItem {
  readonly label: string;
  readonly href: string;
  /** Shown to cluster administrators only. */
  readonly clusterOnly?: boolean;
}

/** The navigation, grouped as the WebAdmin's areas. */
export const NAV: readonly { readonly group: string; readonly items: readonly NavItem[] }[] = [
  {
    group: 'Cluster',
    items: [
      { label: 'General', href: '/cluster/general', clusterOnly: true },
      { label: 'Frontends & Backends', href: '/cluster/nodes', clusterOnly: true },
      { label: 'Routing', href: '/cluster/routing', clusterOnly: true },
    ],
  },
  {
    group: 'Mail',
    items: [
      { label: 'Domains', href: '/domains' },
      { label: 'Accounts', href: '/accounts' },
      { label: 'Rules', href: '/rules' },
      { label: 'Queue', href: '/queue' },
      { label: 'Trace', href: '/trace' },
      { label: 'Audit', href: '/audit' },
    ],
  },
];

export interface LayoutInput {
  readonly title: string;
  readonly principal?: Principal | undefined;
  readonly csrfToken?: string | undefined;
  readonly flash?: string | undefined;
  /** The current path, marked in the navigation. */
  readonly path?: string;
  readonly body: SafeHtml;
}

function nav(principal: Principal, path: string | undefined): SafeHtml {
  const groups = NAV.map((g) => {
    const items = g.items.filter((i) => !i.clusterOnly || principal.role === 'cluster');
    if (items.length === 0) return html``;
    return html`<h2 class="nav-group">${g.group}</h2><ul>${items.map(
      (i) =>
        html`<li><a href="${i.href}"${i.href === path ? html` aria-current="page"` : html``}>${i.label}</a></li>`,
    )}</ul>`;
  });
  return html`<nav aria-label="Main">${groups}</nav>`;
}

export function csrfField(token: string | undefined): SafeHtml {
  return token ? html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">` : html``;
}

export function layout(page: LayoutInput): SafeHtml {
  const who = page.principal;
  const header = who
    ? html`<p class="who">${who.name} (${who.role === 'cluster' ? 'cluster administrator' : `domain administrator: ${who.domains.join(', ')}`})</p>
<form method="post" action="/logout" class="logout">${csrfField(page.csrfToken)}<button type="submit">Sign out</button></form>`
    : html``;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Strato WebAdmin</title>
<link rel="stylesheet" href="/assets/admin.css">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<script src="/assets/admin.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p class="brand"><a href="/">Strato WebAdmin</a></p>${header}</header>
<div class="frame">
${who ? nav(who, page.path) : html``}
<main id="main" tabindex="-1">
<h1>${page.title}</h1>
${page.flash ? html`<p class="flash" role="status">${page.flash}</p>` : html``}
${page.body}
</main>
</div>
</body>
</html>
`;
}

export function errorPage(
  status: number,
  message: string,
  page: Omit<LayoutInput, 'title' | 'body'>,
): string {
  const title = status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : `Error ${status}`;
  return layout({ ...page, title, body: html`<p class="error" role="alert">${message}</p>` }).text;
}

/** A labelled input with its error message beside it (aria-describedby, aria-invalid). */
export function field(opts: {
  readonly name: string;
  readonly label: string;
  readonly type?: string;
  readonly value?: string | undefined;
  readonly errors?: FieldErrors | undefined;
  readonly required?: boolean;
  readonly autocomplete?: string;
}): SafeHtml {
  const error = opts.errors?.[opts.name];
  const id = `f-${opts.name}`;
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${id}">${opts.label}</label>
<input id="${id}" name="${opts.name}" type="${opts.type ?? 'text'}" value="${opts.value ?? ''}"${
    opts.required ? html` required` : html``
  }${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : html``}${
    error ? html` aria-invalid="true" aria-describedby="${id}-error"` : html``
  }>
${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : html``}
</div>`;
}

/** The message of an error that belongs to no one field. */
export function formError(errors: FieldErrors | undefined): SafeHtml {
  const message = errors?._form;
  return message ? html`<p class="error" role="alert">${message}</p>` : html``;
}
