/**
 * The bench's durability check on a cluster it started: after the cluster has stopped, every
 * accepted queue id must still be in the queue (any status) or already be in the recipient's
 * mailbox. Opens the data dir with openEmbeddedStorage; storage errors reject to the caller.
 */
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { QueueCheck } from './report.ts';

export /** Is every accepted message still queued or already delivered? Reads the stopped cluster's data dir. */
async function checkQueue(dataDir: string, ids: readonly string[], recipient: string): Promise<QueueCheck> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    const depth = await storage.queue.depth();
    const deliveredIds = new Set<string>();
    for (const folder of await storage.mailboxes.folders(recipient)) {
      for (const m of await storage.mailboxes.list(recipient, folder)) {
        for (const id of m.deliveryKey.match(/[0-9A-Z]{20}/g) ?? []) deliveredIds.add(id);
      }
    }
    let queued = 0;
    let delivered = 0;
    const missingIds: string[] = [];
    for (const id of ids) {
      if (await storage.queue.get(id)) queued++;
      else if (deliveredIds.has(id)) delivered++;
      else missingIds.push(id);
    }
    const d = { ready: depth.ready, inFlight: depth.inFlight, delayed: depth.delayed, dead: depth.dead };
    return {
      accepted: ids.length,
      queued,
      delivered,
      missing: missingIds.length,
      missingIds,
      depth: d,
      ok: missingIds.length === 0,
    };
  } finally {
    await storage.close();
  }
}
