/**
 * The Queue page's form posts: one job's action (`POST /queue/jobs/:id`: retry, hold, bounce,
 * delete), a bulk action over a filter (`POST /queue/bulk`: without `confirm` a dry run that
 * shows the count and the jobs with a confirm form; with it the action), hold and release
 * (`POST /queue/holds`, `/queue/holds/release`) and redrive (`POST /queue/dead/redrive`). Each
 * runs the core/admin use case in the caller's scope and redirects to the Queue page with what it
 * did; a refusal (bad value, in flight, not held) shows the page again with the message.
 */
import { z } from 'zod';
import {
  bounceQueueJob,
  bulkQueueAction,
  deleteQueueJob,
  retryQueueJob,
} from '../../../../core/admin/queue.ts';
import { holdQueue, redriveDeadLetters, releaseQueue } from '../../../../core/admin/queue-holds.ts';
import type { BulkReport } from '../../../../core/queue/bulk-actions.ts';
import { html } from '../html.ts';
import { csrfField } from '../layout.ts';
import { pageRoute, type RequestContext } from '../route.ts';
import { type OpsDeps, queueDeps, scopeOf } from '../routes/ops-deps.ts';
import { BULK_ACTIONS } from '../routes/queue.ts';
import { page } from './ops-html.ts';
import {
  FILTER_FIELDS,
  type FilterValues,
  filterOfValues,
  formField,
  QUEUE_PATH,
  queuePage,
} from './queue.ts';

const redraw =
  (deps: OpsDeps) =>
  async (
    ctx: RequestContext,
    form: { values: Readonly<Record<string, string>>; errors: Readonly<Record<string, string>> },
  ) => {
    const errors = Object.fromEntries(Object.entries(form.errors).map(([k, m]) => [formField(k), m]));
    return queuePage(deps, ctx, {}, { values: form.values, errors });
  };

const summary = (r: BulkReport): string =>
  `${r.done.length} of ${r.matched.length} matching job(s) ${r.action === 'retry' ? 'retried' : `${r.action}${r.action.endsWith('e') ? 'd' : 'ed'}`}${
    r.skipped.length ? `; skipped ${r.skipped.map((s) => `${s.id} (${s.reason})`).join(', ')}` : ''
  }.`;

const holdTarget = z.object({
  kind: z.enum(['job', 'account', 'domain'], 'Choose what to hold.'),
  value: z.string().trim().min(1, 'Enter a domain, an address or a queue id.').max(320),
});

export function queueFormPages(deps: OpsDeps) {
  const q = queueDeps(deps);
  const invalid = redraw(deps);
  return [
    pageRoute({
      method: 'POST',
      path: '/queue/jobs/:id',
      title: 'Queue',
      access: 'any',
      params: z.object({ id: z.string().min(1).max(40) }),
      body: z.object({
        action: z.enum(['retry', 'hold', 'bounce', 'delete']),
        reason: z.string().max(500).optional(),
      }),
      audit: {
        action: 'queue.job-action',
        target: ({ params, body }) => `${body.action} ${params.id.toUpperCase()}`,
      },
      invalid,
      handler: async (ctx, { params, body }) => {
        const scope = scopeOf(ctx.principal);
        const id = params.id;
        if (body.action === 'retry') await retryQueueJob(q, id, scope);
        else if (body.action === 'delete') await deleteQueueJob(q, id, scope);
        else if (body.action === 'bounce') await bounceQueueJob(q, id, body.reason || undefined, scope);
        else await holdQueue(q, { kind: 'job', value: id }, scope);
        const done = { retry: 'is ready now', delete: 'was deleted', bounce: 'was bounced', hold: 'is held' }[
          body.action
        ];
        return { redirect: QUEUE_PATH, flash: `Job ${id.toUpperCase()} ${done}.` };
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/queue/bulk',
      title: 'Queue: bulk action',
      access: 'any',
      body: z.object({
        action: z.enum(BULK_ACTIONS),
        confirm: z.string().optional(),
        sender: z.string().max(320).optional(),
        recipient: z.string().max(320).optional(),
        domain: z.string().max(255).optional(),
        state: z.string().max(20).optional(),
        olderThanMinutes: z.string().max(20).optional(),
      }),
      audit: {
        action: 'queue.bulk',
        target: ({ body }) => `${body.action}${body.confirm ? '' : ' (dry run)'}`,
      },
      invalid,
      handler: async (ctx, { body }) => {
        const v: FilterValues = body;
        const report = await bulkQueueAction(q, body.action, {
          ...scopeOf(ctx.principal),
          filter: filterOfValues(v),
          dryRun: body.confirm !== 'yes',
        });
        if (body.confirm === 'yes') return { redirect: QUEUE_PATH, flash: summary(report) };
        const hidden = FILTER_FIELDS.filter((k) => v[k]).map(
          (k) => html`<input type="hidden" name="${k}" value="${v[k] as string}">`,
        );
        const back = `${QUEUE_PATH}?${new URLSearchParams(Object.fromEntries(FILTER_FIELDS.filter((k) => v[k]).map((k) => [k, v[k] as string]))).toString()}`;
        return {
          html: page(
            ctx,
            QUEUE_PATH,
            'Queue: bulk action',
            html`<p id="dry-run-count"><strong>${report.matched.length}</strong> job(s) match; ${body.action} would act on ${report.done.length}${
              report.skipped.length ? ` and skip ${report.skipped.length}` : ''
            }.</p>
<ul class="mono">${report.matched.slice(0, 100).map((id) => html`<li>${id}</li>`)}</ul>
<form method="post" action="/queue/bulk">${csrfField(ctx.csrfToken)}${hidden}<input type="hidden" name="action" value="${body.action}"><input type="hidden" name="confirm" value="yes">
<button type="submit">${body.action[0]!.toUpperCase()}${body.action.slice(1)} ${report.done.length} job(s)</button> <a href="${back}">Cancel</a></form>`,
          ),
        };
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/queue/holds',
      title: 'Queue',
      access: 'any',
      body: holdTarget.extend({ reason: z.string().max(500).optional() }),
      audit: { action: 'queue.hold', target: ({ body }) => `${body.kind} ${body.value}` },
      invalid,
      handler: async (ctx, { body }) => {
        const r = await holdQueue(
          q,
          { kind: body.kind, value: body.value },
          {
            ...scopeOf(ctx.principal),
            ...(body.reason ? { reason: body.reason } : {}),
          },
        );
        const parked = r.dryRun ? '' : ` (${r.parked.length} waiting job(s) parked)`;
        return { redirect: QUEUE_PATH, flash: `Holding ${body.kind} ${body.value}${parked}.` };
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/queue/holds/release',
      title: 'Queue',
      access: 'any',
      body: holdTarget,
      audit: { action: 'queue.release', target: ({ body }) => `${body.kind} ${body.value}` },
      invalid,
      handler: async (ctx, { body }) => {
        const r = await releaseQueue(q, { kind: body.kind, value: body.value }, scopeOf(ctx.principal));
        const n = r.dryRun ? 0 : r.released.length;
        return {
          redirect: QUEUE_PATH,
          flash: `Released ${body.kind} ${body.value} (${n} job(s) ready again).`,
        };
      },
    }),
    pageRoute({
      method: 'POST',
      path: '/queue/dead/redrive',
      title: 'Queue',
      access: 'any',
      body: z.object({ id: z.string().max(40).optional(), all: z.string().optional() }),
      audit: { action: 'queue.redrive', target: ({ body }) => (body.all ? 'all' : (body.id ?? '')) },
      invalid,
      handler: async (ctx, { body }) => {
        const r = await redriveDeadLetters(q, {
          ...scopeOf(ctx.principal),
          ...(body.all === 'yes' ? { all: true } : { ids: body.id ? [body.id] : [] }),
        });
        return { redirect: QUEUE_PATH, flash: summary(r) };
      },
    }),
  ];
}
