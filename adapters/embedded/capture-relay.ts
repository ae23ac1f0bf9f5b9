/**
 * OutboundRelay that captures instead of sending (the local default, so nothing leaves the
 * machine): each message goes to <dir>/<jobId>.eml with its envelope in <jobId>.json, both
 * written to a temp name, fsynced and renamed. A write failure is a temporary outcome.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { delivered, type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
import type { OutboundRelay, RelayRequest } from '../../core/ports/outbound-relay.ts';

async function durableWrite(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await write(tmp);
    const fh = await open(tmp, 'r+');
    await fh.datasync().finally(() => fh.close());
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class CaptureRelay implements OutboundRelay {
  constructor(private readonly dir: string) {}

  async send(req: RelayRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const out = new Map<string, RecipientOutcome>();
    try {
      await mkdir(this.dir, { recursive: true });
      // Several attempts of one job may relay to different recipients: name files per attempt.
      const name = `${req.jobId}-${Date.now().toString(36)}`;
      await durableWrite(join(this.dir, `${name}.eml`), async (tmp) =>
        pipeline(await req.openBody(), createWriteStream(tmp)),
      );
      const envelope = JSON.stringify(
        { jobId: req.jobId, mailFrom: req.mailFrom, recipients: req.recipients },
        null,
        2,
      );
      await durableWrite(join(this.dir, `${name}.json`), async (tmp) => {
        const fh = await open(tmp, 'w');
        await fh.writeFile(envelope).finally(() => fh.close());
      });
      for (const rcpt of req.recipients) {
        out.set(rcpt, delivered({ code: 250, enhanced: '2.0.0', text: `captured as ${name}.eml` }));
      }
    } catch (err) {
      for (const rcpt of req.recipients) {
        out.set(rcpt, temporary({ code: 451, enhanced: '4.3.0', text: `capture failed: ${String(err)}` }));
      }
    }
    return out;
  }
}
