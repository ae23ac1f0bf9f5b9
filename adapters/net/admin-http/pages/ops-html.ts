/**
 * Small HTML pieces the operations pages share: a time as UTC text, a one-button form that posts
 * hidden fields with the CSRF token (optionally asking for confirmation), a select, a field's
 * error message, and the page frame for a signed-in administrator. Everything goes through `html`.
 */
import type { Principal } from '../access-types.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, layout } from '../layout.ts';
import type { FieldErrors, RequestContext } from '../route.ts';

export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** "12 s ago" style, for heartbeats. */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7200
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

/** A form with hidden fields and one submit button; `confirm` asks first (when JS runs). */
export function postButton(opts: {
  readonly action: string;
  readonly label: string;
  readonly csrf: string | undefined;
  readonly fields?: Readonly<Record<string, string>>;
  readonly confirm?: string;
  readonly name?: string;
}): SafeHtml {
  const hidden = Object.entries(opts.fields ?? {}).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  );
  return html`<form method="post" action="${opts.action}" class="inline"${
    opts.confirm ? html` data-confirm="${opts.confirm}"` : html``
  }>${csrfField(opts.csrf)}${hidden}<button type="submit"${opts.name ? html` name="${opts.name}"` : html``}>${opts.label}</button></form>`;
}

export function select(opts: {
  readonly name: string;
  readonly label: string;
  readonly options: readonly (readonly [value: string, label: string])[];
  readonly value?: string | undefined;
  readonly errors?: FieldErrors | undefined;
}): SafeHtml {
  const id = `f-${opts.name}`;
  const error = opts.errors?.[opts.name];
  return html`<div class="field${error ? ' invalid' : ''}"><label for="${id}">${opts.label}</label>
<select id="${id}" name="${opts.name}"${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : html``}>${opts.options.map(
    ([v, l]) =>
      html`<option value="${v}"${v === (opts.value ?? '') ? html` selected` : html``}>${l}</option>`,
  )}</select>
${fieldError(opts.name, error)}</div>`;
}

export function fieldError(name: string, error: string | undefined): SafeHtml {
  return error ? html`<p class="field-error" id="f-${name}-error">${error}</p>` : html``;
}

export function page(ctx: RequestContext, path: string, title: string, body: SafeHtml): SafeHtml {
  return layout({
    title,
    principal: ctx.principal as Principal,
    csrfToken: ctx.csrfToken,
    flash: ctx.flash,
    path,
    body,
  });
}

/** Compact JSON for a cell. */
export function json(v: unknown, max = 300): string {
  const s = JSON.stringify(v) ?? '';
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
