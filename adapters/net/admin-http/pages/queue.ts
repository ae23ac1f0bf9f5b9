/**
 * The Queue page (`GET /queue`): filters (sender, recipient, domain, state, older than), the jobs
 * they select a page at a time, an action per job (retry, bounce, delete, hold; confirmed first
 * when JS runs), bulk actions over the filter — always a dry-run count first, then a confirm
 * form —, the hold directives with their release, and the dead letters with redrive. A domain
 * administrator sees and acts on their domains' jobs only. Form posts redirect back with a flash
 * message; a refused one (bad value, not held, in flight) shows the page again with the message
 * next to its field. queue-forms.ts holds the POST handlers.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../../../core/admin/errors.ts';
import { listQueue } from '../../../../core/admin/queue.ts';
import { listDeadLetters, listHolds } from '../../../../core/admin/queue-holds.ts';
import type { QueueJobView } from '../../../../core/admin/queue-scope.ts';
import { FILTER_STATES, type QueueFilter } from '../../../../core/queue/queue-filter.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, field, formError } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import { type OpsDeps, queueDeps, scopeOf } from '../routes/ops-deps.ts';
import { page, postButton, select, when } from './ops-html.ts';

export const QUEUE_PATH = '/queue';

/** The filter fields as the forms send them (empty: not filtered). */
export const FILTER_FIELDS = ['sender', 'recipient', 'domain', 'state', 'olderThanMinutes'] as const;
export type FilterValues = Partial<Record<(typeof FILTER_FIELDS)[number] | 'cursor', string>>;

export const filterQuery = z.object({
  sender: z.string().max(320).optional(),
  recipient: z.string().max(320).optional(),
  domain: z.string().max(255).optional(),
  state: z.string().max(20).optional(),
  olderThanMinutes: z.string().max(20).optional(),
  cursor: z.string().max(200).optional(),
});

/** The filter of the form's values; InvalidInputError names the form field. */
export function filterOfValues(v: FilterValues): QueueFilter {
  const f: Record<string, unknown> = {};
  for (const k of ['sender', 'recipient', 'domain'] as const) if (v[k]?.trim()) f[k] = v[k].trim();
  if (v.state) {
    if (!(FILTER_STATES as readonly string[]).includes(v.state))
      throw new InvalidInputError('state', `Choose one of ${FILTER_STATES.join(', ')}.`);
    f.state = v.state;
  }
  const older = v.olderThanMinutes?.trim();
  if (older) {
    if (!/^\d+$/.test(older))
      throw new InvalidInputError('olderThanMinutes', 'Enter a whole number of minutes.');
    f.olderThanMs = Number(older) * 60_000;
  }
  return f as QueueFilter;
}

/** `filter.sender` (the use case's name) → `sender` (the form's). */
export const formField = (field: string | undefined): string =>
  field === 'filter.olderThanMs' ? 'olderThanMinutes' : (field ?? '_form').replace(/^filter\./, '');

function filterForm(v: FilterValues, errors: FieldErrors | undefined): SafeHtml {
  return html`<form method="get" action="${QUEUE_PATH}" class="filters" role="search">
${field({ name: 'sender', label: 'Sender', value: v.sender, errors })}
${field({ name: 'recipient', label: 'Recipient', value: v.recipient, errors })}
${field({ name: 'domain', label: 'Recipient domain', value: v.domain, errors })}
${select({ name: 'state', label: 'State', options: [['', 'Any'], ...FILTER_STATES.map((s) => [s, s] as const)], value: v.state, errors })}
${field({ name: 'olderThanMinutes', label: 'Older than (minutes)', value: v.olderThanMinutes, errors })}
<div class="field"><button type="submit">Filter</button></div></form>`;
}

const filterFields = (v: FilterValues): Record<string, string> =>
  Object.fromEntries(FILTER_FIELDS.filter((k) => v[k]).map((k) => [k, v[k] as string]));

function jobRow(j: QueueJobView, csrf: string | undefined): SafeHtml {
  const id = j.job.id;
  const act = (action: string, label: string, confirm?: string) =>
    postButton({
      action: `/queue/jobs/${id}`,
      label,
      csrf,
      fields: { action },
      ...(confirm ? { confirm } : {}),
    });
  return html`<tr data-id="${id}"><th scope="row"><a href="/trace?q=${id}"><code>${id}</code></a></th>
<td>${when(j.job.createdAt)}</td><td>${j.job.envelope.mailFrom || '<>'}</td>
<td>${j.job.envelope.recipients.map((r) => html`${r.address} <small>(${r.state})</small><br>`)}</td>
<td class="status">${j.status}</td><td>${j.receiveCount}</td><td>${when(j.nextAttemptAt)}</td>
<td class="actions">${act('retry', 'Retry now')} ${act('hold', 'Hold')} ${act('bounce', 'Bounce', `Bounce ${id} and report the failure to its sender?`)} ${act('delete', 'Delete', `Delete ${id} without any report?`)}</td></tr>`;
}

function jobsTable(jobs: readonly QueueJobView[], csrf: string | undefined): SafeHtml {
  if (jobs.length === 0) return html`<p id="no-jobs">No queued job matches.</p>`;
  return html`<table id="jobs"><caption class="skip">Queued jobs, oldest first</caption>
<thead><tr><th scope="col">Queue id</th><th scope="col">Accepted</th><th scope="col">Sender</th><th scope="col">Recipients</th><th scope="col">State</th><th scope="col">Receives</th><th scope="col">Next attempt</th><th scope="col">Actions</th></tr></thead>
<tbody>${jobs.map((j) => jobRow(j, csrf))}</tbody></table>`;
}

function bulkForm(v: FilterValues, csrf: string | undefined): SafeHtml {
  if (Object.keys(filterFields(v)).length === 0)
    return html`<p class="hint">Filter the queue first to act on every job the filter selects.</p>`;
  return html`<form method="post" action="/queue/bulk" class="filters">${csrfField(csrf)}${Object.entries(
    filterFields(v),
  ).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}
${select({
  name: 'action',
  label: 'On every job this filter selects',
  options: [
    ['retry', 'Retry now'],
    ['hold', 'Hold'],
    ['release', 'Release'],
    ['bounce', 'Bounce'],
    ['delete', 'Delete'],
  ],
})}
<div class="field"><button type="submit">Count first…</button></div></form>`;
}

function holdsSection(
  ctx: RequestContext,
  holds: Awaited<ReturnType<typeof listHolds>>,
  values: Readonly<Record<string, string>>,
  errors: FieldErrors | undefined,
): SafeHtml {
  const rows = holds.map(
    (h) =>
      html`<tr data-hold="${h.kind}:${h.value}"><td>${h.kind}</td><th scope="row"><code>${h.value}</code></th><td>${h.reason ?? ''}</td><td>${when(h.createdAt)}</td><td>${postButton({ action: '/queue/holds/release', label: 'Release', csrf: ctx.csrfToken, fields: { kind: h.kind, value: h.value } })}</td></tr>`,
  );
  return html`<section aria-labelledby="holds"><h2 id="holds">Holds</h2>
${holds.length === 0 ? html`<p>Nothing is held.</p>` : html`<table id="holds-table"><thead><tr><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Reason</th><th scope="col">Since</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table>`}
<form method="post" action="/queue/holds" class="filters" novalidate>${csrfField(ctx.csrfToken)}
${select({
  name: 'kind',
  label: 'Hold',
  options: [
    ['domain', 'a domain'],
    ['account', 'an account'],
    ['job', 'a job'],
  ],
  value: values.kind,
  errors,
})}
${field({ name: 'value', label: 'Domain, address or queue id', value: values.value, errors })}
${field({ name: 'reason', label: 'Reason (optional)', value: values.reason, errors })}
<div class="field"><button type="submit">Hold</button></div></form></section>`;
}

function deadSection(ctx: RequestContext, dead: Awaited<ReturnType<typeof listDeadLetters>>): SafeHtml {
  if (dead.length === 0)
    return html`<section aria-labelledby="dead"><h2 id="dead">Dead letters</h2><p>No dead letters.</p></section>`;
  return html`<section aria-labelledby="dead"><h2 id="dead">Dead letters</h2>
<table id="dead-table"><thead><tr><th scope="col">Queue id</th><th scope="col">Accepted</th><th scope="col">Sender</th><th scope="col">Last reply</th><th scope="col"></th></tr></thead>
<tbody>${dead.map(
    (d) =>
      html`<tr><th scope="row"><a href="/trace?q=${d.job.id}"><code>${d.job.id}</code></a></th><td>${when(d.job.createdAt)}</td><td>${d.job.envelope.mailFrom || '<>'}</td><td>${d.lastReply ?? ''}</td><td>${postButton({ action: '/queue/dead/redrive', label: 'Redrive', csrf: ctx.csrfToken, fields: { id: d.job.id } })}</td></tr>`,
  )}</tbody></table>
${postButton({ action: '/queue/dead/redrive', label: `Redrive all ${dead.length}`, csrf: ctx.csrfToken, fields: { all: 'yes' }, confirm: 'Start every dead letter over?' })}</section>`;
}

/** The whole Queue page; `form` redraws a refused post with its messages. */
export async function queuePage(
  deps: OpsDeps,
  ctx: RequestContext,
  v: FilterValues,
  form?: { values: Readonly<Record<string, string>>; errors: FieldErrors },
): Promise<SafeHtml> {
  const q = queueDeps(deps);
  const scope = scopeOf(ctx.principal);
  let errors: FieldErrors | undefined;
  let jobs: QueueJobView[] = [];
  let next: string | null = null;
  try {
    const listed = await listQueue(q, {
      ...scope,
      filter: filterOfValues(v),
      limit: 50,
      ...(v.cursor ? { cursor: v.cursor } : {}),
    });
    jobs = listed.jobs;
    next = listed.nextCursor;
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    errors = { [formField(err.field)]: err.message };
  }
  const [holds, dead] = await Promise.all([listHolds(q, scope), listDeadLetters(q, { ...scope, limit: 50 })]);
  const more = next
    ? html`<p><a id="next-page" href="${QUEUE_PATH}?${new URLSearchParams({ ...filterFields(v), cursor: next }).toString()}">Next page</a></p>`
    : html``;
  const body = html`${formError(form?.errors)}${filterForm(v, errors)}
<section aria-labelledby="jobs-h"><h2 id="jobs-h">Jobs</h2>${jobsTable(jobs, ctx.csrfToken)}${more}
${bulkForm(v, ctx.csrfToken)}</section>
${holdsSection(ctx, holds, form?.values ?? {}, form?.errors)}
${deadSection(ctx, dead)}`;
  return page(ctx, QUEUE_PATH, 'Queue', body);
}

export const queueViewPages = (deps: OpsDeps) => [
  pageRoute({
    method: 'GET',
    path: QUEUE_PATH,
    title: 'Queue',
    access: 'any',
    query: filterQuery,
    handler: async (ctx, { query }) => ({ html: await queuePage(deps, ctx, query) }),
  }),
];
