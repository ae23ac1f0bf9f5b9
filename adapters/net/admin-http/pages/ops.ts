/** The operations pages (filled in below). */
import type { AnyRoute } from '../route.ts';
import type { OpsDeps } from '../routes/ops-deps.ts';

export function opsPages(_deps: OpsDeps): AnyRoute[] {
  return [];
}
