/**
 * `--redirect`: a redirect-heavy workload for the e2e phase. Creates the target account and gives
 * each bench recipient one account rule that redirects every message to it, so each message is
 * delivered twice (the rule's account, then the target) and the generated half takes the path
 * under test (shared queue, or SMTP to the frontends). Failure: directory/rule-store errors reject.
 */
import { AlreadyExistsError } from '../../core/directory/errors.ts';
import type { Storage } from '../../core/ports/storage.ts';
import { REDIRECT_TARGET } from './options.ts';

export async function seedRedirects(storage: Pick<Storage, 'directory' | 'rules'>, rcpts: readonly string[]) {
  const [name, domain] = REDIRECT_TARGET.split('@') as [string, string];
  await storage.directory
    .addAccount({ address: REDIRECT_TARGET, domain, name, settings: {}, createdAt: Date.now() })
    .catch((err: unknown) => {
      if (!(err instanceof AlreadyExistsError)) throw err;
    });
  for (const address of rcpts) {
    await storage.rules.set({ kind: 'account', address }, [
      {
        name: 'bench redirect',
        priority: 5,
        conditions: [],
        actions: [{ action: 'redirect', to: [REDIRECT_TARGET] }],
      },
    ]);
  }
}
