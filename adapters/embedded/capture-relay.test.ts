/**
 * CaptureRelay against the OutboundRelay contract: the "peer" is the capture directory (each
 * <name>.json envelope beside its <name>.eml). It never refuses a recipient; an unreachable peer
 * is a directory that cannot be created (its parent is a file).
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { outboundRelayContract, type ReceivedMessage } from '../contract/outbound-relay.contract.ts';
import { CaptureRelay } from './capture-relay.ts';
import { tempDir } from './test-support.ts';

async function captured(dir: string): Promise<ReceivedMessage[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  return Promise.all(
    names.sort().map(async (f) => {
      const env = JSON.parse(await readFile(join(dir, f), 'utf8')) as {
        mailFrom: string;
        recipients: string[];
      };
      const raw = await readFile(join(dir, f.replace(/\.json$/, '.eml')));
      return { mailFrom: env.mailFrom, recipients: env.recipients, raw };
    }),
  );
}

outboundRelayContract('CaptureRelay', async () => {
  const root = await tempDir();
  const dir = join(root, 'outbound');
  return {
    relay: new CaptureRelay(dir),
    capabilities: { perRecipientRefusal: false, nullSenderRewritten: false },
    received: () => captured(dir),
    async unreachable() {
      const file = join(root, 'not-a-dir');
      await writeFile(file, 'x');
      return { relay: new CaptureRelay(join(file, 'outbound')), close: async () => {} };
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
