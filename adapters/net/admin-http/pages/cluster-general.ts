/**
 * Cluster → General: the Queue Processing panel (`GET /cluster/general`, `POST` to save), after
 * CommuniGate Pro's Settings → General → Cluster. Which frontends process the queue (the default,
 * all, the named ones — a checkbox per known frontend plus a field for groups — or none), how many
 * deliveries each runs at once, where backends send generated mail, the retry schedule and the
 * lifetime; each with its value in effect and whether it is the default. Below, each frontend's
 * live state (frontends-live.js refreshes that table from the API; the page works without it).
 * A bad value shows the form again with the message next to its field and nothing saved (the use
 * case validates the whole patch before it writes). Processors pick a change up within seconds.
 */
import { z } from 'zod';
import {
  getQueueProcessing,
  type QueueProcessingView,
  type SettingView,
  updateQueueProcessing,
} from '../../../../core/admin/cluster.ts';
import { InvalidInputError } from '../../../../core/admin/errors.ts';
import { listFrontends } from '../../../../core/admin/frontends.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, field, formError } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import type { OpsDeps } from '../routes/ops-deps.ts';
import { ago, fieldError, page, select } from './ops-html.ts';

const PATH = '/cluster/general';

type Values = Readonly<Record<string, string>>;

function source<T>(s: SettingView<T>, shown: string): SafeHtml {
  return html`<p class="hint">In effect: <strong>${shown}</strong> · ${
    s.source === 'default' ? html`default (${s.defaultFrom})` : html`cluster setting`
  }</p>`;
}

const processingText = (p: QueueProcessingView['processing']['effective']): string =>
  Array.isArray(p) ? `the named: ${p.join(', ')}` : p;

/** The form's values from the stored settings. */
function valuesOf(view: QueueProcessingView): Record<string, string> {
  const p = view.processing.value;
  const v: Record<string, string> = {
    processingMode: p === null ? 'default' : Array.isArray(p) ? 'named' : p,
    groups: Array.isArray(p) ? p.filter((n) => !n.includes('@')).join(', ') : '',
    concurrency: view.concurrency.value === null ? '' : String(view.concurrency.value),
    generatedMail: view.generatedMail.value ?? '',
    retryFirst: view.retry.value ? String(view.retry.value.firstSeconds) : '',
    retryMax: view.retry.value ? String(view.retry.value.maxSeconds) : '',
    lifetime: view.lifetimeSeconds.value === null ? '' : String(view.lifetimeSeconds.value),
  };
  if (Array.isArray(p)) for (const id of p.filter((n) => n.includes('@'))) v[`fe:${id}`] = 'on';
  return v;
}

function processingFieldset(
  view: QueueProcessingView,
  ids: readonly string[],
  values: Values,
  errors?: FieldErrors,
) {
  const mode = values.processingMode ?? 'default';
  const radio = (value: string, label: string) =>
    html`<label class="choice"><input type="radio" name="processingMode" value="${value}"${mode === value ? html` checked` : html``}> ${label}</label>`;
  const named = new Set([
    ...ids,
    ...Object.keys(values)
      .filter((k) => k.startsWith('fe:'))
      .map((k) => k.slice(3)),
  ]);
  return html`<fieldset class="field${errors?.processing ? ' invalid' : ''}"><legend>Which frontends process the queue</legend>
${radio('default', 'Default (each frontend’s environment)')}
${radio('all', 'All frontends')}
${radio('named', 'Only the named frontends:')}
<div class="indent">${[...named]
    .sort()
    .map(
      (id) =>
        html`<label class="choice"><input type="checkbox" name="fe:${id}"${values[`fe:${id}`] ? html` checked` : html``}> <code>${id}</code></label>`,
    )}
${field({ name: 'groups', label: 'and these groups (comma-separated)', value: values.groups, errors })}</div>
${radio('none', 'None (mail waits in the queue)')}
${fieldError('processing', errors?.processing)}
${source(view.processing, processingText(view.processing.effective))}</fieldset>`;
}

async function panel(
  deps: OpsDeps,
  ctx: RequestContext,
  form?: { values: Values; errors: FieldErrors },
): Promise<SafeHtml> {
  const control = deps.storage.control;
  const [view, frontends] = await Promise.all([
    getQueueProcessing({ control }),
    listFrontends({ control }, { recent: true }),
  ]);
  const values = form?.values ?? valuesOf(view);
  const errors = form?.errors;
  const err = (name: string, ...alts: string[]) =>
    [name, ...alts].map((k) => errors?.[k]).find((m) => m !== undefined);
  const retryErrors = {
    retryFirst: err('retryFirst', 'retry.firstSeconds', 'retry') ?? '',
    retryMax: err('retryMax', 'retry.maxSeconds') ?? '',
  };
  const clean = (e: Record<string, string>) => Object.fromEntries(Object.entries(e).filter(([, m]) => m));
  return html`<section aria-labelledby="qp"><h2 id="qp">Queue Processing</h2>
<form method="post" action="${PATH}" novalidate>
${csrfField(ctx.csrfToken)}${formError(errors)}
${processingFieldset(
  view,
  frontends.map((f) => f.id),
  values,
  errors,
)}
${field({ name: 'concurrency', label: 'Deliveries at once (per frontend; empty: default)', value: values.concurrency, errors: clean({ concurrency: err('concurrency') ?? '' }) })}
${source(view.concurrency, String(view.concurrency.effective))}
${select({
  name: 'generatedMail',
  label: 'Generated mail (rule actions, vacation replies, reports)',
  options: [
    ['', 'Default'],
    ['queue', 'Remote queue processing (backends enqueue on the shared queue)'],
    ['forward', 'Forward to frontends (backends submit over SMTP)'],
  ],
  value: values.generatedMail,
  errors: clean({ generatedMail: err('generatedMail') ?? '' }),
})}
${source(view.generatedMail, view.generatedMail.effective)}
${field({ name: 'retryFirst', label: 'First retry after (seconds; doubles per attempt; empty: default)', value: values.retryFirst, errors: clean(retryErrors) })}
${field({ name: 'retryMax', label: 'Retry at most every (seconds)', value: values.retryMax, errors: clean(retryErrors) })}
${source(view.retry, `${view.retry.effective.firstSeconds} s doubling up to ${view.retry.effective.maxSeconds} s`)}
${field({ name: 'lifetime', label: 'Message lifetime (seconds; empty: default)', value: values.lifetime, errors: clean({ lifetime: err('lifetime', 'lifetimeSeconds') ?? '' }) })}
${source(view.lifetimeSeconds, `${view.lifetimeSeconds.effective} s`)}
<button type="submit">Save</button> <span class="hint">Frontends apply a change within seconds.</span>
</form></section>
<section aria-labelledby="fl"><h2 id="fl">Frontends now</h2>
${frontendTable(frontends)}</section>
<script src="/assets/frontends-live.js" defer></script>`;
}

/** The live-state table; frontends-live.js rebuilds its body with the same columns. */
export function frontendTable(
  frontends: readonly {
    id: string;
    group: string;
    processing: boolean;
    jobsInFlight: number;
    sessions: number;
    seenAt: number;
    live: boolean;
  }[],
): SafeHtml {
  return html`<table id="frontends-live" data-src="/api/v1/cluster/frontends?recent=true">
<thead><tr><th scope="col">Frontend</th><th scope="col">Group</th><th scope="col">Processing</th><th scope="col">Jobs in flight</th><th scope="col">Sessions</th><th scope="col">Last seen</th></tr></thead>
<tbody>${
    frontends.length === 0
      ? html`<tr><td colspan="6">No frontend has reported yet.</td></tr>`
      : frontends.map(
          (f) =>
            html`<tr data-id="${f.id}"><th scope="row"><code>${f.id}</code></th><td>${f.group}</td><td class="processing">${f.processing ? 'yes' : 'no'}</td><td>${f.jobsInFlight}</td><td>${f.sessions}</td><td>${f.live ? ago(f.seenAt) : `gone (${ago(f.seenAt)})`}</td></tr>`,
        )
  }</tbody></table>`;
}

const int = (field: string, text: string | undefined): number | null => {
  const t = (text ?? '').trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t))
    throw new InvalidInputError(
      field,
      'Enter a whole number of at least 1, or leave it empty for the default.',
    );
  return Number(t);
};

/** The form as a patch (an empty field clears its setting); InvalidInputError names the field. */
function patchOf(values: Values): Record<string, unknown> {
  const mode = values.processingMode ?? 'default';
  let processing: unknown = mode === 'default' ? null : mode;
  if (mode === 'named') {
    const ids = Object.keys(values)
      .filter((k) => k.startsWith('fe:') && values[k])
      .map((k) => k.slice(3));
    const groups = (values.groups ?? '').split(/[\s,]+/).filter(Boolean);
    processing = [...ids, ...groups];
    if ((processing as string[]).length === 0)
      throw new InvalidInputError(
        'processing',
        'Tick at least one frontend or name a group (or choose None).',
      );
  }
  const first = int('retryFirst', values.retryFirst);
  const max = int('retryMax', values.retryMax);
  if ((first === null) !== (max === null))
    throw new InvalidInputError(
      first === null ? 'retryFirst' : 'retryMax',
      'Give both retry values, or leave both empty.',
    );
  return {
    processing,
    concurrency: int('concurrency', values.concurrency),
    generatedMail: values.generatedMail ? values.generatedMail : null,
    retry: first === null ? null : { firstSeconds: first, maxSeconds: max },
    lifetimeSeconds: int('lifetime', values.lifetime),
  };
}

export function clusterGeneralPages(deps: OpsDeps) {
  return [
    pageRoute({
      method: 'GET',
      path: PATH,
      title: 'Cluster: General',
      access: 'cluster',
      handler: async (ctx) => ({ html: page(ctx, PATH, 'Cluster: General', await panel(deps, ctx)) }),
    }),
    pageRoute({
      method: 'POST',
      path: PATH,
      title: 'Cluster: General',
      access: 'cluster',
      body: z.record(z.string(), z.string()),
      audit: {
        action: 'cluster.queue-processing',
        target: () => 'queue-processing',
        read: async () => deps.storage.control.getQueueSettings(),
      },
      invalid: async (ctx, form) => page(ctx, PATH, 'Cluster: General', await panel(deps, ctx, form)),
      handler: async (_ctx, { body }) => {
        const result = await updateQueueProcessing({ control: deps.storage.control }, patchOf(body));
        const warn = result.warnings.length ? ` (${result.warnings.join('; ')})` : '';
        return { redirect: PATH, flash: `Queue processing saved; frontends apply it within seconds.${warn}` };
      },
    }),
  ];
}
