/**
 * The bench's durability check on a cluster it started: after the cluster has stopped, every
 * accepted queue id must still be in the queue (any status) or already be in its recipient's
 * mailbox (found by delivery key or, failing that, by the Message-ID the bench wrote; see
 * mailbox-scan.ts). Opens the data dir with openEmbeddedStorage; storage errors reject to the caller.
 */
import { openEmbeddedStorage } from '../../adapters/embedded/open.ts';
import type { Acceptance } from './load.ts';
import { MailboxScanner } from './mailbox-scan.ts';
import type { QueueCheck } from './report.ts';

/** Is every accepted message still queued or already delivered? Reads the stopped cluster's data dir. */
export async function checkQueue(dataDir: string, accepts: readonly Acceptance[]): Promise<QueueCheck> {
  const storage = await openEmbeddedStorage({ dataDir });
  try {
    const depth = await storage.queue.depth();
    const scanner = new MailboxScanner(storage.mailboxes);
    scanner.expect(accepts);
    await scanner.scan();
    let queued = 0;
    let delivered = 0;
    const missingIds: string[] = [];
    for (const { id } of accepts) {
      if (await storage.queue.get(id)) queued++;
      else if (scanner.found.has(id)) delivered++;
      else missingIds.push(id);
    }
    const d = { ready: depth.ready, inFlight: depth.inFlight, delayed: depth.delayed, dead: depth.dead };
    const matched = scanner.summary;
    return {
      accepted: accepts.length,
      queued,
      delivered,
      missing: missingIds.length,
      missingIds,
      depth: d,
      deliveredByMessageId: matched.byMessageId,
      duplicates: matched.duplicates,
      ok: missingIds.length === 0,
    };
  } finally {
    await storage.close();
  }
}
