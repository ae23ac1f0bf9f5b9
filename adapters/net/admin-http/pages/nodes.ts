/**
 * Cluster → Frontends & Backends (`GET /cluster/nodes`): every frontend live or seen within a day
 * (the table frontends-live.js refreshes) and every live backend with the accounts it has open.
 */
import { listBackends, listFrontends } from '../../../../core/admin/frontends.ts';
import { html } from '../html.ts';
import { pageRoute } from '../route.ts';
import type { OpsDeps } from '../routes/ops-deps.ts';
import { frontendTable } from './cluster-general.ts';
import { page, when } from './ops-html.ts';

const PATH = '/cluster/nodes';

export function nodePages(deps: OpsDeps) {
  return [
    pageRoute({
      method: 'GET',
      path: PATH,
      title: 'Frontends & Backends',
      access: 'cluster',
      handler: async (ctx) => {
        const [frontends, backends] = await Promise.all([
          listFrontends({ control: deps.storage.control }, { recent: true }),
          listBackends({ backends: deps.storage.backends }),
        ]);
        const body = html`<h2>Frontends</h2>${frontendTable(frontends)}
<h2>Backends</h2>${
          backends.length === 0
            ? html`<p>No live backend.</p>`
            : html`<table id="backends"><thead><tr><th scope="col">Backend</th><th scope="col">Kind</th><th scope="col">Address</th><th scope="col">Accounts open</th><th scope="col">Version</th><th scope="col">Started</th><th scope="col">Heartbeat valid until</th></tr></thead>
<tbody>${backends.map(
                (b) =>
                  html`<tr><th scope="row"><code>${b.id}</code></th><td>${b.kind}</td><td>${b.address}</td><td>${b.accountsOpen ?? '—'}</td><td>${b.version ?? ''}</td><td>${when(b.startedAt)}</td><td>${when(b.expiresAt)}</td></tr>`,
              )}</tbody></table>`
        }
<script src="/assets/frontends-live.js" defer></script>`;
        return { html: page(ctx, PATH, 'Frontends & Backends', body) };
      },
    }),
  ];
}
