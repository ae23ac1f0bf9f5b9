/**
 * Building blocks of the directory pages (domains, accounts, rules): the page frame for a signed-in
 * administrator, a select and a textarea with their messages beside them, a one-button form (with
 * the CSRF field and an optional confirmation), the settings table (stored, effective, where each
 * value comes from) and form, and `formFields`, which moves a use case's refusal next to the form
 * field it concerns (so one page can hold several forms with their own messages).
 */

import { InvalidInputError } from '../../../../core/admin/errors.ts';
import type { EffectiveSettings } from '../../../../core/directory/effective-settings.ts';
import {
  formatSetting,
  type PartialSettings,
  SETTING_NAMES,
  type SettingName,
} from '../../../../core/settings/settings.ts';
import { describeHttpError } from '../errors.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, field, formError, layout } from '../layout.ts';
import type { FieldErrors, RequestContext } from '../route.ts';

export function page(ctx: RequestContext, title: string, path: string, body: SafeHtml): SafeHtml {
  return layout({ title, principal: ctx.principal, csrfToken: ctx.csrfToken, flash: ctx.flash, path, body });
}

/** A path segment (domain or address) as it goes into a link. */
export const seg = (s: string) => encodeURIComponent(s);

function message(name: string, errors: FieldErrors | undefined): { attrs: SafeHtml; text: SafeHtml } {
  const error = errors?.[name];
  const id = `f-${name}`;
  return error
    ? {
        attrs: html` aria-invalid="true" aria-describedby="${id}-error"`,
        text: html`<p class="field-error" id="${id}-error">${error}</p>`,
      }
    : { attrs: html``, text: html`` };
}

export function selectField(opts: {
  name: string;
  label: string;
  options: readonly (readonly [value: string, label: string])[];
  value?: string | undefined;
  errors?: FieldErrors | undefined;
}): SafeHtml {
  const m = message(opts.name, opts.errors);
  return html`<div class="field${opts.errors?.[opts.name] ? ' invalid' : ''}">
<label for="f-${opts.name}">${opts.label}</label>
<select id="f-${opts.name}" name="${opts.name}"${m.attrs}>${opts.options.map(
    ([v, l]) => html`<option value="${v}"${v === opts.value ? html` selected` : html``}>${l}</option>`,
  )}</select>
${m.text}</div>`;
}

export function textareaField(opts: {
  name: string;
  label: string;
  value?: string | undefined;
  errors?: FieldErrors | undefined;
  rows?: number;
  hint?: string;
}): SafeHtml {
  const m = message(opts.name, opts.errors);
  return html`<div class="field${opts.errors?.[opts.name] ? ' invalid' : ''}">
<label for="f-${opts.name}">${opts.label}</label>
${opts.hint ? html`<p class="hint" id="f-${opts.name}-hint">${opts.hint}</p>` : html``}
<textarea id="f-${opts.name}" name="${opts.name}" rows="${opts.rows ?? 12}" cols="80" class="mono" spellcheck="false"${m.attrs}>${opts.value ?? ''}</textarea>
${m.text}</div>`;
}

/** A form of one button (remove, rotate...), with hidden fields. */
export function buttonForm(opts: {
  action: string;
  label: string;
  csrfToken: string | undefined;
  hidden?: Readonly<Record<string, string>>;
  confirm?: string;
}): SafeHtml {
  return html`<form method="post" action="${opts.action}" class="inline"${
    opts.confirm ? html` data-confirm="${opts.confirm}"` : html``
  }>${csrfField(opts.csrfToken)}${Object.entries(opts.hidden ?? {}).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit">${opts.label}</button></form>`;
}

const fmt = (name: SettingName, v: unknown) => formatSetting(name, v as never);

/** Every setting: the value stored at this level, the value in force and the level it comes from. */
export function settingsTable(
  caption: string,
  effective: EffectiveSettings,
  stored: PartialSettings,
): SafeHtml {
  return html`<table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Setting</th><th scope="col">Stored here</th><th scope="col">Effective</th><th scope="col">Comes from</th></tr></thead>
<tbody>${SETTING_NAMES.map(
    (name) =>
      html`<tr><th scope="row"><code>${name}</code></th><td>${
        stored[name] === undefined ? html`<span class="muted">inherited</span>` : fmt(name, stored[name])
      }</td><td>${fmt(name, effective.settings[name])}</td><td>${effective.sources[name]}</td></tr>`,
  )}</tbody>
</table>`;
}

/** One input per setting, holding the stored value (empty: inherited). */
export function settingsInputs(
  stored: PartialSettings,
  values: Readonly<Record<string, string>> | undefined,
  errors: FieldErrors | undefined,
): SafeHtml {
  return html`${SETTING_NAMES.map((name) =>
    field({
      name,
      label: name,
      value: values ? values[name] : stored[name] === undefined ? '' : fmt(name, stored[name]),
      errors,
    }),
  )}`;
}

/**
 * The settings a form changed, in the operator grammar: an emptied field clears the stored value
 * ("default"), a field equal to the stored value is left out (no needless rewrite).
 */
export function settingsPatch(
  values: Readonly<Record<string, string | undefined>>,
  stored: PartialSettings,
): Record<string, string> {
  const patch: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const v = values[name]?.trim();
    if (v === undefined) continue;
    const current = stored[name] === undefined ? '' : fmt(name, stored[name]);
    if (v === current) continue;
    patch[name] = v === '' ? 'default' : v;
  }
  return patch;
}

/**
 * Runs a form's use case; a refusal (400, 404, 409) becomes an InvalidInputError on the form
 * field it concerns: `rename` maps the use case's field names (a `prefix.` entry maps every
 * `prefix.X` to X), anything else goes to `fallback` (`notFoundField` for a 404). The framework shows the form again.
 */
export async function formFields<T>(
  rename: Readonly<Record<string, string>>,
  fallback: string,
  run: () => Promise<T>,
  /** Where "not found" goes (e.g. the field naming the account), default `fallback`. */
  notFoundField = fallback,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const known = describeHttpError(err);
    if (!known || ![400, 404, 409].includes(known.status)) throw err;
    const f = known.body.field;
    const dot = f?.indexOf('.') ?? -1;
    const prefixed =
      f && dot > 0 && rename[`${f.slice(0, dot)}.`] !== undefined ? f.slice(dot + 1) : undefined;
    throw new InvalidInputError(
      prefixed ??
        (f !== undefined ? rename[f] : undefined) ??
        (known.status === 404 ? notFoundField : fallback),
      known.body.error,
    );
  }
}

/** The form-level message, if any, and the CSRF field: the start of every form. */
export const formStart = (ctx: RequestContext, errors?: FieldErrors) =>
  html`${csrfField(ctx.csrfToken)}${formError(errors)}`;

/** Keeps only the errors of one form's fields (a page with several forms). */
export function errorsFor(
  errors: FieldErrors | undefined,
  names: readonly string[],
): FieldErrors | undefined {
  if (!errors) return undefined;
  const own = Object.entries(errors).filter(([k]) => names.includes(k));
  return own.length > 0 ? Object.fromEntries(own) : undefined;
}
