/**
 * Runs the embedded spool's orphan sweep (adapters/embedded/orphan-bodies.ts) from the local
 * cluster's primary: once shortly after start, then every hour. Each run opens its own storage
 * handles and closes them again, so the workers' handles are never shared. Only for embedded
 * storage (on AWS the spool bucket's lifecycle rule expires orphans). Failure: a run that fails
 * is logged (`storage.orphan_sweep_failed`) and the next run tries again.
 */
import { openEmbeddedStorage } from '../adapters/embedded/open.ts';
import { sweepOrphanBodies } from '../adapters/embedded/orphan-bodies.ts';
import type { Logger } from '../core/ports/logger.ts';

const FIRST_RUN_MS = 60_000;
const EVERY_MS = 60 * 60 * 1000;

export function startOrphanSweeper(opts: { readonly dataDir: string; readonly logger: Logger }): {
  stop(): void;
} {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    const storage = await openEmbeddedStorage({ dataDir: opts.dataDir }).catch((err: unknown) => {
      opts.logger.warn({ event: 'storage.orphan_sweep_failed', err });
      return undefined;
    });
    try {
      if (!storage) return;
      const result = await sweepOrphanBodies(storage, { now: Date.now() });
      if (result.deleted > 0) opts.logger.info({ event: 'storage.orphans_swept', ...result });
    } catch (err) {
      opts.logger.warn({ event: 'storage.orphan_sweep_failed', err });
    } finally {
      await storage?.close().catch(() => {});
      running = false;
    }
  };
  const first = setTimeout(run, FIRST_RUN_MS);
  const every = setInterval(run, EVERY_MS);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
