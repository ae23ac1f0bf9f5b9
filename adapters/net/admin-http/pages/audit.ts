/**
 * The Audit page (`GET /audit`): who changed what, when, from where, newest first, a page at a
 * time (the "Older entries" link carries the cursor). Entries come from the access layer as it
 * stores them; fields this page does not know are left out, and before/after show as compact JSON.
 */
import { html, type SafeHtml } from '../html.ts';
import { layout } from '../layout.ts';
import { pageRoute } from '../route.ts';
import { auditQuery } from '../routes/audit.ts';

type Entry = Record<string, unknown>;

const text = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v);

function when(v: unknown): string {
  const d = typeof v === 'number' || typeof v === 'string' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime())
    ? d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : text(v);
}

function actor(v: unknown): string {
  if (v && typeof v === 'object' && 'name' in v) return text((v as { name: unknown }).name);
  return text(v);
}

function json(v: unknown): string {
  if (v === undefined) return '';
  const s = JSON.stringify(v) ?? '';
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function change(e: Entry): SafeHtml {
  if (!('before' in e) && !('after' in e)) return html``;
  return html`<span class="mono">${json(e.before) || '—'}</span> → <span class="mono">${json(e.after) || '—'}</span>`;
}

function table(items: readonly Entry[]): SafeHtml {
  if (items.length === 0) return html`<p>No changes recorded yet.</p>`;
  return html`<table>
<caption class="skip">Audit trail, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Administrator</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Domain</th><th scope="col">From</th><th scope="col">Change</th></tr></thead>
<tbody>${items.map(
    (e) =>
      html`<tr><td>${when(e.at ?? e.time)}</td><th scope="row">${actor(e.actor)}</th><td><code>${text(e.action)}</code></td><td>${text(e.target)}</td><td>${text(e.domain)}</td><td>${text(e.clientAddress)}</td><td>${change(e)}</td></tr>`,
  )}</tbody>
</table>`;
}

export const auditPages = [
  pageRoute({
    method: 'GET',
    path: '/audit',
    title: 'Audit',
    access: 'any',
    query: auditQuery,
    handler: async (ctx, { query }) => {
      const page = await ctx.access.listAudit(ctx.principal, {
        limit: query.limit,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      const items = (page.items as readonly unknown[]).filter(
        (e): e is Entry => typeof e === 'object' && e !== null,
      );
      const older = page.nextCursor
        ? html`<p><a href="/audit?cursor=${encodeURIComponent(page.nextCursor)}&amp;limit=${query.limit}">Older entries</a></p>`
        : html``;
      return {
        html: layout({
          title: 'Audit',
          principal: ctx.principal,
          csrfToken: ctx.csrfToken,
          flash: ctx.flash,
          path: '/audit',
          body: html`${table(items)}${older}`,
        }),
      };
    },
  }),
];
