/**
 * The Trace page (`GET /trace?q=`): a message's story by queue id, Message-ID or address — for
 * each message where it is now (queued, done, gone...) and its events in order (who, when, what,
 * the reply). A domain administrator finds their domains' messages only. Nothing found or a bad
 * query is said next to the search field.
 */
import { z } from 'zod';
import { InvalidInputError, NotFoundAdminError } from '../../../../core/admin/errors.ts';
import { type TracedMessage, traceMessage } from '../../../../core/admin/trace.ts';
import { html, type SafeHtml } from '../html.ts';
import { field } from '../layout.ts';
import { pageRoute } from '../route.ts';
import { type OpsDeps, scopeOf, traceDeps } from '../routes/ops-deps.ts';
import { json, page, when } from './ops-html.ts';

const PATH = '/trace';

function details(e: Record<string, unknown>): string {
  const { queueId: _q, at: _a, by: _b, kind: _k, ...rest } = e;
  return json(rest, 500);
}

function message(m: TracedMessage): SafeHtml {
  const events = m.events as unknown as Record<string, unknown>[];
  return html`<section class="traced" data-queue-id="${m.queueId}"><h2><code>${m.queueId}</code> — <span class="where">${m.where}</span></h2>
${m.queue ? html`<p>In the queue: ${m.queue.status}, next attempt ${when(m.nextAttemptAt)}. <a href="/queue?sender=${encodeURIComponent(m.queue.job.envelope.mailFrom)}">Find it on the Queue page</a></p>` : html``}
<table><thead><tr><th scope="col">When</th><th scope="col">By</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
<tbody>${events.map((e) => {
    const by = e.by as { role?: string; id?: string } | undefined;
    return html`<tr><td>${when(e.at as number)}</td><td>${by ? `${by.role ?? ''} ${by.id ?? ''}` : ''}</td><th scope="row"><code>${String(e.kind)}</code></th><td class="mono">${details(e)}</td></tr>`;
  })}</tbody></table></section>`;
}

export function tracePages(deps: OpsDeps) {
  return [
    pageRoute({
      method: 'GET',
      path: PATH,
      title: 'Trace',
      access: 'any',
      query: z.object({ q: z.string().max(1000).optional() }),
      handler: async (ctx, { query }) => {
        const q = query.q?.trim() ?? '';
        let result: SafeHtml = html``;
        let errors: Record<string, string> | undefined;
        if (q) {
          try {
            const r = await traceMessage(traceDeps(deps), q, {
              ...scopeOf(ctx.principal),
              onSqs: deps.onSqs === true,
            });
            result = html`${r.messages.map(message)}`;
          } catch (err) {
            if (!(err instanceof NotFoundAdminError) && !(err instanceof InvalidInputError)) throw err;
            errors = { q: err.message };
          }
        }
        const body = html`<form method="get" action="${PATH}" class="filters" role="search">
${field({ name: 'q', label: 'Queue id, Message-ID or address', value: q, errors })}
<div class="field"><button type="submit">Trace</button></div></form>${result}`;
        return { html: page(ctx, PATH, 'Trace', body), ...(errors ? { status: 404 } : {}) };
      },
    }),
  ];
}
