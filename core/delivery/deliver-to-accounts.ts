/**
 * The backend's delivery use case (behind LMTP and Lambda alike): for each recipient, open the
 * account (take or renew its lease, fenced by the epoch), check state, quota, size and inbound
 * flow, run the domain and account rules (apply-rules.ts) and append to the folders they chose,
 * idempotently (delivery id + account), then send the mail the rules generated. It never enqueues
 * the message itself. Every failure becomes a per-recipient outcome; nothing throws. An account
 * open on another backend, disabled or full is said as a typed `account` fact of the outcome;
 * so is an account whose HomeBackend is another backend (it is never opened here: the fact names
 * the home as the owner, so the queue goes there directly or retries later).
 */
import type { Readable } from 'node:stream';
import { effectiveSettings } from '../directory/effective-settings.ts';
import { parseAddress } from '../mail/address.ts';
import type { MessageSource } from '../mail/message-source.ts';
import { delivered, permanent, type RecipientOutcome, temporary } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { srsAccount } from '../mail/srs.ts';
import type { AccountLeases, AcquireResult } from '../ports/account-leases.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import type { AccountRecord, DirectoryReader } from '../ports/directory.ts';
import { StaleEpochError } from '../ports/errors.ts';
import type { Logger } from '../ports/logger.ts';
import type { MailboxStore } from '../ports/mailbox-store.ts';
import { editMessageHeaders, type RulesPlan } from '../rules/index.ts';
import type { AccountSettings } from '../settings/settings.ts';
import type { HistoryRecorder } from '../util/history-recorder.ts';
import { INBOX_PLAN, planDelivery, type RulesDeps, sendGenerated } from './apply-rules.ts';
import { LeaseCache } from './lease-cache.ts';

export interface DeliverDeps {
  readonly backendId: string;
  readonly directory: DirectoryReader;
  readonly leases: AccountLeases;
  readonly mailboxes: MailboxStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly leaseTtlMs: number;
  /** Domain and account rules; without them every message goes to the INBOX. */
  readonly rules?: RulesDeps;
  /** For MailInpFlow at delivery; without it that limit is enforced at RCPT only. */
  readonly counters?: Counters;
  /** Leases this backend holds (one per process); without it every delivery writes the lease. */
  readonly leaseCache?: LeaseCache;
  /**
   * Lambda ownership: each call takes its leases for itself (with a short leaseTtlMs) and
   * releases them when its deliveries are done, so another execution environment can open the
   * accounts at once; one held elsewhere meanwhile is answered "open elsewhere" (a temporary
   * outcome the queue retries within seconds).
   */
  readonly leasePerCall?: boolean;
  /** Message history (best-effort): what was stored where, and what rules discarded. */
  readonly history?: HistoryRecorder;
}

export interface LocalDelivery {
  readonly deliveryId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly size: number;
  /** The job's source (rules test it); SMTP when the channel did not say. */
  readonly source?: MessageSource;
  readonly openBody: () => Promise<Readable>;
}

async function findAccount(directory: DirectoryReader, address: string): Promise<AccountRecord | undefined> {
  const entry = await directory.lookupName(address);
  if (entry?.kind === 'account') return entry.account;
  if (entry?.kind === 'alias') return directory.getAccount(entry.alias.account);
  // A DSN we made for a redirected message comes here under its SRS address (srs.ts).
  const srs = entry ? undefined : srsAccount(address);
  return srs ? findAccount(directory, srs) : undefined;
}

/** The recipient's account (through an alias or our SRS address), or the permanent failure. */
async function recipientAccount(
  directory: DirectoryReader,
  rcpt: string,
): Promise<{ ok: true; account: AccountRecord } | { ok: false; outcome: RecipientOutcome }> {
  const parsed = parseAddress(rcpt);
  if (!parsed.ok) return { ok: false, outcome: permanent(replies.badRecipient(parsed.reason)) };
  const account = await findAccount(directory, parsed.value.address);
  if (!account) return { ok: false, outcome: permanent(replies.unknownUser(parsed.value.address)) };
  return { ok: true, account };
}

/** Take or renew this backend's lease on the account (from the cache while fresh). */
function openAccount(deps: DeliverDeps, account: string): Promise<AcquireResult> {
  return deps.leaseCache
    ? deps.leaseCache.acquire(deps.leases, deps.clock, account, deps.backendId, deps.leaseTtlMs)
    : deps.leases.acquire(account, deps.backendId, deps.leaseTtlMs);
}

/**
 * Why the account cannot take this message now, or undefined when it can: disabled, message too
 * big, quota, then inbound flow (checked last, as it consumes from the counter).
 */
async function accountRefusal(
  deps: DeliverDeps,
  account: AccountRecord,
  settings: AccountSettings,
  size: number,
): Promise<RecipientOutcome | undefined> {
  if (!settings.Enabled) {
    return temporary(replies.mailboxDisabledTemporarily(account.address), { state: 'disabled' });
  }
  if (settings.MaxMessageSize !== null && size > settings.MaxMessageSize) {
    return permanent(replies.messageTooBigForRecipient(account.address, settings.MaxMessageSize));
  }
  if (settings.MaxAccountSize !== null) {
    const used = await deps.mailboxes.usage(account.address);
    if (used + size > settings.MaxAccountSize) {
      return temporary(replies.mailboxFull(account.address), { state: 'full' });
    }
  }
  if (settings.MailInpFlow && deps.counters) {
    const [count, seconds] = settings.MailInpFlow;
    const flow = await deps.counters.tryConsume(`inflow-delivered:${account.address}`, seconds, count);
    if (!flow.allowed) return temporary(replies.mailInpFlow(account.address, count, seconds));
  }
  return undefined;
}

/** The folders the plan stores into; a drop (redirect, forward, discard) is logged and stores none. */
function foldersOf(
  deps: DeliverDeps,
  msg: LocalDelivery,
  account: AccountRecord,
  plan: RulesPlan,
  rcpt: string,
): readonly string[] {
  if (plan.fate.kind === 'drop') {
    const { because } = plan.fate;
    deps.logger.info({
      event: 'backend.not_stored',
      queueId: msg.deliveryId,
      account: account.address,
      because,
    });
    deps.history?.record(msg.deliveryId, {
      kind: 'discarded',
      recipient: rcpt,
      account: account.address,
      because,
    });
  }
  return plan.fate.kind === 'deliver' ? plan.fate.folders : [];
}

/** Append one copy to `folder` under the lease's epoch, with the plan's flags and header edits. */
async function storeCopy(
  deps: DeliverDeps,
  msg: LocalDelivery,
  account: AccountRecord,
  plan: RulesPlan,
  folder: string,
  epoch: number,
  rcpt: string,
): Promise<void> {
  const body = await msg.openBody();
  try {
    const result = await deps.mailboxes.append(
      {
        account: account.address,
        folder,
        // One copy per account and delivery, even when two aliases of it are recipients.
        deliveryKey: `${msg.deliveryId}/${folder}`,
        epoch,
        ...(plan.flags.length > 0 ? { flags: plan.flags } : {}),
      },
      plan.headerEdits.length > 0 ? editMessageHeaders(plan.headerEdits, body) : body,
    );
    if (!result.duplicate) {
      const stored = { recipient: rcpt, account: account.address, folder, backend: deps.backendId };
      deps.history?.record(msg.deliveryId, { kind: 'stored', ...stored });
    }
    deps.logger.info({
      event: result.duplicate ? 'backend.duplicate_skipped' : 'backend.stored',
      queueId: msg.deliveryId,
      account: account.address,
      folder,
      uid: result.uid,
    });
  } finally {
    // A duplicate or refused append leaves the stream unread: release its file handle.
    if (!body.destroyed) body.destroy();
  }
}

/** One recipient: find the account, open it, check it, plan the rules, store, send generated mail. */
async function deliverOne(deps: DeliverDeps, msg: LocalDelivery, rcpt: string): Promise<RecipientOutcome> {
  const found = await recipientAccount(deps.directory, rcpt);
  if (!found.ok) return found.outcome;
  const { account } = found;

  const { settings } = await effectiveSettings(deps.directory, account);
  const home = settings.HomeBackend;
  if (home && home !== deps.backendId) {
    // Never open an account homed elsewhere: that would be the failover a static cluster forbids.
    return temporary(replies.accountHomedElsewhere(account.address, home), {
      state: 'open-elsewhere',
      owner: home,
    });
  }
  const lease = await openAccount(deps, account.address);
  if (!lease.ok) {
    const { owner } = lease.heldBy;
    return temporary(replies.accountInUse(account.address, owner), { state: 'open-elsewhere', owner });
  }
  const refused = await accountRefusal(deps, account, settings, msg.size);
  if (refused) return refused;

  const rulesMsg = { ...msg, source: msg.source ?? 'SMTP' };
  const rulesDeps = deps.rules ? { ...deps, rules: deps.rules } : undefined;
  const plan = rulesDeps ? await planDelivery(rulesDeps, rulesMsg, account, rcpt) : INBOX_PLAN;
  if (plan.fate.kind === 'reject') return permanent(replies.rejectedByRule(plan.fate.text));
  for (const folder of foldersOf(deps, msg, account, plan, rcpt)) {
    await storeCopy(deps, msg, account, plan, folder, lease.lease.epoch, rcpt);
  }
  if (rulesDeps) await sendGenerated(rulesDeps, rulesMsg, account, plan);
  return delivered(replies.delivered());
}

/** Deliver to every recipient; the map is keyed by the recipient as given. */
export async function deliverToAccounts(
  deps: DeliverDeps,
  msg: LocalDelivery,
): Promise<Map<string, RecipientOutcome>> {
  if (!deps.leasePerCall) return deliverEach(deps, msg);
  const leaseCache = new LeaseCache();
  try {
    return await deliverEach({ ...deps, leaseCache }, msg);
  } finally {
    // Never throws: a lease whose release failed simply runs out its (short) TTL.
    const released = await leaseCache.releaseAll(deps.leases, deps.backendId);
    if (released.failed > 0) deps.logger.warn({ event: 'backend.lease_release_failed', ...released });
  }
}

async function deliverEach(deps: DeliverDeps, msg: LocalDelivery): Promise<Map<string, RecipientOutcome>> {
  const out = new Map<string, RecipientOutcome>();
  for (const rcpt of msg.recipients) {
    try {
      out.set(rcpt, await deliverOne(deps, msg, rcpt));
    } catch (err) {
      const stale = err instanceof StaleEpochError;
      if (stale) deps.leaseCache?.forget(err.account);
      deps.logger.warn({
        event: stale ? 'backend.lease_lost' : 'backend.store_failed',
        queueId: msg.deliveryId,
        rcpt,
        err: String(err),
      });
      out.set(rcpt, temporary(stale ? replies.leaseLost(rcpt) : replies.localError()));
    }
  }
  return out;
}
