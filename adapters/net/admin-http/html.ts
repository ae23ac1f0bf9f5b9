/**
 * Safe HTML for the WebAdmin: the `html` tagged template escapes every interpolated value unless
 * it is already `SafeHtml` (another `html` result), arrays are joined, and null/undefined/false
 * render as nothing. Pages are built only with it, so text an operator or a mail sender typed can
 * never become markup. `escapeHtml` covers & < > " ' (safe in text and quoted attributes).
 */

export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup the program itself wrote (never user text). */
export function trusted(text: string): SafeHtml {
  return new SafeHtml(text);
}
