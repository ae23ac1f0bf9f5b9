/**
 * The operations pages of the WebAdmin, in one list for the route table: Cluster → General (the
 * Queue Processing panel), Frontends & Backends, Routing, Queue (with its form posts) and Trace.
 */
import type { AnyRoute } from '../route.ts';
import type { OpsDeps } from '../routes/ops-deps.ts';
import { clusterGeneralPages } from './cluster-general.ts';
import { nodePages } from './nodes.ts';
import { queueViewPages } from './queue.ts';
import { queueFormPages } from './queue-forms.ts';
import { routingPages } from './routing.ts';
import { tracePages } from './trace.ts';

export function opsPages(deps: OpsDeps): AnyRoute[] {
  return [
    ...clusterGeneralPages(deps),
    ...nodePages(deps),
    ...routingPages(deps),
    ...queueViewPages(deps),
    ...queueFormPages(deps),
    ...tracePages(deps),
  ];
}
