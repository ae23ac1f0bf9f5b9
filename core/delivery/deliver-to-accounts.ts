/**
 * The backend's delivery use case (behind LMTP and Lambda alike): for each recipient, open the
 * account (take or renew its lease, fenced by the epoch), check state, quota and size, run the
 * account-rules seam and append to the mailbox idempotently (delivery id + account). It never
 * enqueues the message. Every failure becomes a per-recipient outcome; nothing throws.
 */
import type { Readable } from 'node:stream';
import { resolveSettings } from '../directory/settings.ts';
import { domainOf, parseAddress } from '../mail/address.ts';
import { delivered, permanent, type RecipientOutcome, temporary } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { AccountLeases } from '../ports/account-leases.ts';
import type { Clock } from '../ports/clock.ts';
import type { AccountRecord, Directory } from '../ports/directory.ts';
import { StaleEpochError } from '../ports/errors.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailboxStore } from '../ports/mailbox-store.ts';
import type { LeaseCache } from './lease-cache.ts';

/** Where the rules seam says a message goes; the default is the INBOX. */
export interface FilingDecision {
  readonly folders: readonly string[];
  readonly flags?: readonly string[];
  /** A rule refused the message for this recipient (permanent failure → DSN). */
  readonly reject?: string;
}

/** The account-rules seam: domain then account rules run here (see the rules issue). */
export type AccountRules = (ctx: {
  account: AccountRecord;
  mailFrom: string;
  size: number;
}) => Promise<FilingDecision>;

export const inboxOnly: AccountRules = async () => ({ folders: ['INBOX'] });

export interface DeliverDeps {
  readonly backendId: string;
  readonly directory: Directory;
  readonly leases: AccountLeases;
  readonly mailboxes: MailboxStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly leaseTtlMs: number;
  readonly rules?: AccountRules;
  /** Leases this backend holds (one per process); without it every delivery writes the lease. */
  readonly leaseCache?: LeaseCache;
}

export interface LocalDelivery {
  readonly deliveryId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly size: number;
  readonly openBody: () => Promise<Readable>;
}

async function findAccount(directory: Directory, address: string): Promise<AccountRecord | undefined> {
  const entry = await directory.lookupName(address);
  if (entry?.kind === 'account') return entry.account;
  if (entry?.kind === 'alias') return directory.getAccount(entry.alias.account);
  return undefined;
}

async function deliverOne(deps: DeliverDeps, msg: LocalDelivery, rcpt: string): Promise<RecipientOutcome> {
  const parsed = parseAddress(rcpt);
  if (!parsed.ok) return permanent(replies.badRecipient(parsed.reason));
  const account = await findAccount(deps.directory, parsed.value.address);
  if (!account) return permanent(replies.unknownUser(parsed.value.address));

  const lease = deps.leaseCache
    ? await deps.leaseCache.acquire(deps.leases, deps.clock, account.address, deps.backendId, deps.leaseTtlMs)
    : await deps.leases.acquire(account.address, deps.backendId, deps.leaseTtlMs);
  if (!lease.ok) return temporary(replies.accountInUse(account.address, lease.heldBy.owner));

  const [domain, cluster] = await Promise.all([
    deps.directory.getDomain(domainOf(account.address)),
    deps.directory.getClusterSettings(),
  ]);
  const settings = resolveSettings(account.settings, domain?.defaults, cluster);
  if (!settings.Enabled) return temporary(replies.mailboxDisabledTemporarily(account.address));
  if (settings.MaxMessageSize !== null && msg.size > settings.MaxMessageSize) {
    return permanent(replies.messageTooBigForRecipient(account.address, settings.MaxMessageSize));
  }
  if (settings.MaxAccountSize !== null) {
    const used = await deps.mailboxes.usage(account.address);
    if (used + msg.size > settings.MaxAccountSize) return temporary(replies.mailboxFull(account.address));
  }

  const decision = await (deps.rules ?? inboxOnly)({ account, mailFrom: msg.mailFrom, size: msg.size });
  if (decision.reject) return permanent({ code: 550, enhanced: '5.7.1', text: decision.reject });
  for (const folder of decision.folders) {
    const body = await msg.openBody();
    try {
      const result = await deps.mailboxes.append(
        {
          account: account.address,
          folder,
          // One copy per account and delivery, even when two aliases of it are recipients.
          deliveryKey: `${msg.deliveryId}/${folder}`,
          epoch: lease.lease.epoch,
          ...(decision.flags ? { flags: decision.flags } : {}),
        },
        body,
      );
      deps.logger.info({
        event: result.duplicate ? 'backend.duplicate_skipped' : 'backend.stored',
        deliveryId: msg.deliveryId,
        account: account.address,
        folder,
        uid: result.uid,
      });
    } finally {
      // A duplicate or refused append leaves the stream unread: release its file handle.
      if (!body.destroyed) body.destroy();
    }
  }
  return delivered(replies.delivered());
}

/** Deliver to every recipient; the map is keyed by the recipient as given. */
export async function deliverToAccounts(
  deps: DeliverDeps,
  msg: LocalDelivery,
): Promise<Map<string, RecipientOutcome>> {
  const out = new Map<string, RecipientOutcome>();
  for (const rcpt of msg.recipients) {
    try {
      out.set(rcpt, await deliverOne(deps, msg, rcpt));
    } catch (err) {
      const stale = err instanceof StaleEpochError;
      if (stale) deps.leaseCache?.forget(err.account);
      deps.logger.warn({
        event: stale ? 'backend.lease_lost' : 'backend.store_failed',
        rcpt,
        err: String(err),
      });
      out.set(rcpt, temporary(stale ? replies.leaseLost(rcpt) : replies.localError()));
    }
  }
  return out;
}
