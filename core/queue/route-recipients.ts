/**
 * Routing of a job's pending recipients: local ones (domain in the directory) are grouped by the
 * backend that should open their account; external ones go to the outbound relay. A local
 * recipient with no backend available (or whose HomeBackend is down) gets a temporary outcome
 * right away. Directory, lease and registry faults propagate.
 */
import { effectiveSettings } from '../directory/effective-settings.ts';
import { domainOf } from '../mail/address.ts';
import { type RecipientOutcome, temporary } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { srsAccount } from '../mail/srs.ts';
import type { AccountLeases } from '../ports/account-leases.ts';
import type { BackendInfo, BackendRegistry } from '../ports/backend-registry.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import { chooseBackend } from './choose-backend.ts';

export interface RoutePlan {
  /** backend id → the backend and its recipients. */
  readonly local: Map<string, { backend: BackendInfo; recipients: string[] }>;
  readonly external: string[];
  /** Recipients decided without an attempt (no backend). */
  readonly decided: Map<string, RecipientOutcome>;
  readonly live: readonly BackendInfo[];
}

export interface RouteDeps {
  readonly directory: DirectoryReader;
  readonly leases: AccountLeases;
  readonly registry: BackendRegistry;
  readonly mode: 'dynamic' | 'static';
  readonly now: number;
}

/** The account a local address lands in (aliases resolved), or the address itself. */
async function accountKey(directory: DirectoryReader, address: string): Promise<string> {
  const entry = await directory.lookupName(address);
  if (entry?.kind === 'alias') return entry.alias.account;
  // A DSN we made for a redirected message goes to its SRS address: that is the forwarding account.
  return entry ? address : (srsAccount(address) ?? address);
}

export async function routeRecipients(deps: RouteDeps, recipients: readonly string[]): Promise<RoutePlan> {
  const plan: RoutePlan = { local: new Map(), external: [], decided: new Map(), live: [] };
  const domains = new Map<string, boolean>();
  let live: BackendInfo[] | undefined;
  let all: BackendInfo[] | undefined;
  for (const rcpt of recipients) {
    const domain = domainOf(rcpt);
    if (!domains.has(domain)) domains.set(domain, (await deps.directory.getDomain(domain)) !== undefined);
    if (!domains.get(domain)) {
      plan.external.push(rcpt);
      continue;
    }
    live ??= await deps.registry.listLive();
    all ??= deps.mode === 'static' ? await deps.registry.listAll() : live;
    const account = await accountKey(deps.directory, rcpt);
    const home = (await effectiveSettings(deps.directory, account)).settings.HomeBackend;
    const lease = deps.mode === 'dynamic' && !home ? await deps.leases.get(account) : undefined;
    const choice = chooseBackend({ account, lease, live, all, mode: deps.mode, now: deps.now, home });
    if (!choice.ok) {
      // Dynamic: no live backend only for a moment (quick retry); static waits for the home.
      const moving =
        deps.mode === 'dynamic' ? ({ state: 'moving', why: 'no-live-backend' } as const) : undefined;
      plan.decided.set(rcpt, temporary(replies.noBackend(choice.reason), moving));
      continue;
    }
    const group = plan.local.get(choice.backend.id) ?? { backend: choice.backend, recipients: [] };
    group.recipients.push(rcpt);
    plan.local.set(choice.backend.id, group);
  }
  return { ...plan, live: live ?? [] };
}
