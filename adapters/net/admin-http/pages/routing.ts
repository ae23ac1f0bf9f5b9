/**
 * Cluster → Routing (`GET /cluster/routing`): the outbound routing table — per destination
 * (`example.com`, `*.example.com`, `*`) whether external mail goes by MX, through a smarthost or
 * by SES — with a form to set a destination's route (`POST /cluster/routing`) and a remove button
 * per route (`POST /cluster/routing/remove`). A bad destination or route value is shown next to
 * its field, nothing saved. Queue processors re-read the table within seconds.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../../../core/admin/errors.ts';
import { listRoutes, removeRoute, setRoute } from '../../../../core/admin/routes.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField, field, formError } from '../layout.ts';
import { type FieldErrors, pageRoute, type RequestContext } from '../route.ts';
import type { OpsDeps } from '../routes/ops-deps.ts';
import { json, page, postButton, select } from './ops-html.ts';

const PATH = '/cluster/routing';

async function routingPage(
  deps: OpsDeps,
  ctx: RequestContext,
  form?: { values: Readonly<Record<string, string>>; errors: FieldErrors },
): Promise<SafeHtml> {
  const routes = await listRoutes({ control: deps.storage.control });
  const v = form?.values ?? {};
  const errors = form?.errors
    ? Object.fromEntries(
        Object.entries(form.errors).map(([k, m]) => [k.replace(/^route\.?/, '') || 'kind', m]),
      )
    : undefined;
  const table =
    routes.length === 0
      ? html`<p>No routes: every queue processor relays as its STRATO_RELAY says.</p>`
      : html`<table id="routes"><thead><tr><th scope="col">Destination</th><th scope="col">Route</th><th scope="col"></th></tr></thead><tbody>${routes.map(
          (r) => {
            const { destination, ...route } = r as unknown as Record<string, unknown> & {
              destination: string;
            };
            return html`<tr><th scope="row"><code>${destination}</code></th><td class="mono">${json(route)}</td><td>${postButton({ action: `${PATH}/remove`, label: 'Remove', csrf: ctx.csrfToken, fields: { destination }, confirm: `Remove the route of ${destination}?` })}</td></tr>`;
          },
        )}</tbody></table>`;
  return page(
    ctx,
    PATH,
    'Routing',
    html`${table}<h2>Set a route</h2>
<form method="post" action="${PATH}" novalidate>${csrfField(ctx.csrfToken)}${formError(errors)}
${field({ name: 'destination', label: 'Destination (example.com, *.example.com or *)', value: v.destination, errors })}
${select({
  name: 'kind',
  label: 'Route',
  options: [
    ['mx', 'MX (direct)'],
    ['smarthost', 'Smarthost'],
    ['ses', 'Amazon SES'],
  ],
  value: v.kind,
  errors,
})}
${field({ name: 'host', label: 'Smarthost host', value: v.host, errors })}
${field({ name: 'port', label: 'Smarthost port', value: v.port ?? '587', errors })}
${select({
  name: 'tls',
  label: 'Smarthost TLS',
  options: [
    ['starttls', 'STARTTLS when offered'],
    ['required', 'STARTTLS required'],
    ['implicit', 'Implicit TLS'],
  ],
  value: v.tls,
  errors,
})}
${field({ name: 'user', label: 'AUTH user (optional)', value: v.user, errors })}
${field({ name: 'passwordEnv', label: 'AUTH password variable (STRATO_ROUTE_PASSWORD_…)', value: v.passwordEnv, errors })}
<button type="submit">Save route</button></form>`,
  );
}

export function routingPages(deps: OpsDeps) {
  const d = { control: deps.storage.control, directory: deps.storage.directory };
  const invalid = (
    ctx: RequestContext,
    form: { values: Readonly<Record<string, string>>; errors: FieldErrors },
  ) => routingPage(deps, ctx, form);
  return [
    pageRoute({
      method: 'GET',
      path: PATH,
      title: 'Routing',
      access: 'cluster',
      handler: async (ctx) => ({ html: await routingPage(deps, ctx) }),
    }),
    pageRoute({
      method: 'POST',
      path: PATH,
      title: 'Routing',
      access: 'cluster',
      body: z.object({
        destination: z.string().trim().min(1, 'Enter a destination.').max(300),
        kind: z.enum(['mx', 'smarthost', 'ses'], 'Choose a route.'),
        host: z.string().max(300).optional(),
        port: z.string().max(10).optional(),
        tls: z.string().max(20).optional(),
        user: z.string().max(256).optional(),
        passwordEnv: z.string().max(200).optional(),
      }),
      audit: { action: 'route.set', target: ({ body }) => body.destination },
      invalid,
      handler: async (_ctx, { body }) => {
        let route: Record<string, unknown> = { kind: body.kind };
        if (body.kind === 'smarthost') {
          if (!/^\d+$/.test(body.port ?? '')) throw new InvalidInputError('port', 'Enter a port number.');
          route = {
            kind: 'smarthost',
            host: body.host?.trim() ?? '',
            port: Number(body.port),
            tls: body.tls,
            ...(body.user ? { user: body.user } : {}),
            ...(body.passwordEnv ? { passwordEnv: body.passwordEnv } : {}),
          };
        }
        const r = await setRoute(d, body.destination, route);
        const warn = r.warnings.length ? ` Note: ${r.warnings.join('; ')}` : '';
        return { redirect: PATH, flash: `Route for ${r.route.destination} saved.${warn}` };
      },
    }),
    pageRoute({
      method: 'POST',
      path: `${PATH}/remove`,
      title: 'Routing',
      access: 'cluster',
      body: z.object({ destination: z.string().min(1).max(300) }),
      audit: { action: 'route.remove', target: ({ body }) => body.destination },
      invalid,
      handler: async (_ctx, { body }) => {
        await removeRoute(d, body.destination);
        return { redirect: PATH, flash: `Route for ${body.destination} removed.` };
      },
    }),
  ];
}
