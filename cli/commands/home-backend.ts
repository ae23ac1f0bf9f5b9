/**
 * The check `account set`, `domain set` and `cluster set` make before storing a HomeBackend: the
 * backend must be live or at least registered (it has started once), else a one-line usage error
 * (exit 2) and nothing changes. `--force` skips it, to pre-assign a backend that has not started
 * yet (e.g. slot backend-3 before the service scales to three tasks).
 */
import type { Storage } from '../../core/ports/storage.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import { UsageError } from '../errors.ts';

export const FORCE_HELP =
  'accept a HomeBackend that is not registered yet (a backend that has never started)';

export async function checkHomeBackend(
  storage: Storage,
  patch: PartialSettings,
  force: boolean,
): Promise<void> {
  const home = patch.HomeBackend;
  if (typeof home !== 'string' || force) return;
  const known = await storage.backends.listAll();
  if (known.some((b) => b.id === home)) return;
  const ids = known.map((b) => b.id).join(', ') || 'none';
  throw new UsageError(
    `backend ${home} is neither live nor registered (registered: ${ids}); use --force to assign it before it first starts`,
  );
}
