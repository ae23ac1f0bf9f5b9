/**
 * Recipient resolution at RCPT time: what an address given by a client becomes, following
 * aliases, forwarders (chains up to MAX_FORWARD_DEPTH) and the domain's MailToUnknown policy.
 * Answers a typed route or a reply; directory faults are NOT caught here (the caller turns
 * them into 451 4.3.0), so a missing record and a broken store are never confused.
 *
 * accept-and-bounce: the recipient is accepted (250) and enqueued 'pending' under the address
 * given; delivery then fails permanently (the backend answers 550 5.1.1 for a name that is not
 * an account), so the sender gets the one failure DSN through the normal DSN path.
 *
 * SRS: a bounce address our rules gave a redirected message (core/mail/srs.ts) resolves to
 * the forwarding account when its hash and age check out, and is refused 550 5.7.1 otherwise.
 *
 * IDN: addresses arrive normalised to the A-label form (mail/address.ts); a domain or name stored
 * in U-label form is found too (each lookup tries the A-label form, then the U-label form).
 *
 * postmaster (RFC 5321 §4.5.1): `postmaster@<hosted domain>` where the domain has no such name
 * resolves to the domain's postmaster target (DomainRecord.postmaster), else to the cluster's
 * (STRATO_POSTMASTER), and from there like any address. A bare `postmaster` (any case) resolves
 * to the cluster's. With neither configured, postmaster@<domain> follows the domain's
 * MailToUnknown policy, and where that is `reject` (and for a bare `postmaster`) the refusal
 * (550 5.1.1) names the missing settings.
 */

import { domainOf, parseAddress, unicodeDomain } from '../mail/address.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { srsReverse } from '../mail/srs.ts';
import type { AccountRecord, DirectoryReader, DomainRecord } from '../ports/directory.ts';
import type { AccountSettings, PartialSettings } from '../settings/settings.ts';
import { effectiveSettings } from './effective-settings.ts';

/** Forwarder chains (and reroutes) longer than this are treated as a loop. */
export const MAX_FORWARD_DEPTH = 10;

export type RecipientRoute =
  /** Deliver to a local account's mailbox. */
  | {
      readonly kind: 'local';
      readonly address: string;
      readonly account: AccountRecord;
      readonly settings: AccountSettings;
    }
  /** Relay to an address outside the cluster's domains. */
  | { readonly kind: 'external'; readonly address: string }
  /** Accept and drop (MailToUnknown = discard). */
  | { readonly kind: 'discard' }
  /** Accept; delivery will fail permanently with `reply`, which bounces to the sender (accept-and-bounce). */
  | { readonly kind: 'bounce'; readonly reply: Reply };

export type Resolution =
  | {
      readonly ok: true;
      readonly original: string;
      readonly localDomain: boolean;
      readonly route: RecipientRoute;
    }
  | { readonly ok: false; readonly reply: Reply };

/**
 * The U-label form of a normalised address or domain: names are stored and looked up in A-label
 * form (mail/address.ts), and a record stored in U-label form before that is still found.
 */
function inUnicode(key: string): string {
  const at = key.lastIndexOf('@');
  return at < 0 ? unicodeDomain(key) : `${key.slice(0, at)}@${unicodeDomain(key.slice(at + 1))}`;
}

/**
 * The directory as one resolution reads it (each name in A-label form, then in U-label form): each domain and the cluster settings are fetched at
 * most once per resolution (a forwarder chain revisits them), names are read as they come.
 */
function lookupFor(directory: DirectoryReader): DirectoryReader {
  let cluster: Promise<PartialSettings> | undefined;
  const domains = new Map<string, Promise<DomainRecord | undefined>>();
  const either = <T>(key: string, read: (key: string) => Promise<T | undefined>) =>
    read(key).then((found) => {
      const other = inUnicode(key);
      return found !== undefined || other === key ? found : read(other);
    });
  return {
    getAccount: (address) => either(address, (a) => directory.getAccount(a)),
    lookupName: (address) => either(address, (a) => directory.lookupName(a)),
    aliasesOf: (account) => directory.aliasesOf(account),
    dkimKeys: (domain) => directory.dkimKeys(domain),
    getClusterSettings: () => {
      cluster ??= directory.getClusterSettings();
      return cluster;
    },
    getDomain: (name) => {
      let d = domains.get(name);
      if (!d) {
        d = either(name, (n) => directory.getDomain(n));
        domains.set(name, d);
      }
      return d;
    },
  };
}

async function localAccount(look: DirectoryReader, account: AccountRecord): Promise<RecipientRoute> {
  const { settings } = await effectiveSettings(look, account);
  return { kind: 'local', address: account.address, account, settings };
}

/** Follow one normalised address to its route; `depth` counts forwarder/reroute hops so far. */
async function follow(
  look: DirectoryReader,
  address: string,
  depth: number,
  postmaster?: string,
): Promise<RecipientRoute | Reply> {
  if (depth > MAX_FORWARD_DEPTH) return replies.loopDetected(depth);
  const domain = await look.getDomain(domainOf(address));
  if (!domain) return { kind: 'external', address };
  const entry = await look.lookupName(address);
  if (entry?.kind === 'account') return localAccount(look, entry.account);
  if (entry?.kind === 'alias') {
    const account = await look.getAccount(entry.alias.account);
    // A dangling alias is a directory inconsistency; to the client it is an unknown user.
    return account ? localAccount(look, account) : replies.unknownUser(address);
  }
  if (entry?.kind === 'forwarder') {
    const target = parseAddress(entry.forwarder.target);
    if (!target.ok) return replies.unknownUser(address);
    return follow(look, target.value.address, depth + 1);
  }
  if (isPostmaster(address)) {
    const target = domain.postmaster ?? postmaster;
    if (target && target !== address) return follow(look, target, depth + 1, postmaster);
    // Nothing configured: the domain's MailToUnknown policy decides, and where that would refuse
    // the reply names the settings that are missing.
    if (!target && domain.mailToUnknown.action === 'reject') return replies.postmasterUnconfigured(address);
  }
  const policy = domain.mailToUnknown;
  switch (policy.action) {
    case 'reject':
      return replies.unknownUser(address);
    case 'discard':
      return { kind: 'discard' };
    case 'accept-and-bounce':
      return { kind: 'bounce', reply: replies.unknownUser(address) };
    case 'reroute': {
      const target = parseAddress(policy.to);
      if (!target.ok) return replies.unknownUser(address);
      return follow(look, target.value.address, depth + 1);
    }
  }
}

/** postmaster@<any domain>, case-insensitive. */
const isPostmaster = (address: string) => address.toLowerCase().startsWith('postmaster@');

/** A bare `postmaster` (RFC 5321 §4.5.1: no domain, any case), angle brackets allowed. */
export const isBarePostmaster = (input: string) => /^<?postmaster>?$/i.test(input.trim());

/**
 * Resolve the address a client gave at RCPT TO. `localDomain` says whether the address as
 * given is in one of our domains (relay control looks at that, not at where a forwarder leads).
 */
export async function resolveRecipient(
  directory: DirectoryReader,
  input: string,
  opts: {
    readonly srs?: { readonly secret: string; readonly now: number };
    /** The cluster's postmaster address (normalised); see the module comment. */
    readonly postmaster?: string;
  } = {},
): Promise<Resolution> {
  const { postmaster } = opts;
  if (isBarePostmaster(input)) {
    if (!postmaster) return { ok: false, reply: replies.postmasterUnconfigured('postmaster') };
    const route = await follow(lookupFor(directory), postmaster, 1, postmaster);
    if ('code' in route) return { ok: false, reply: route };
    return { ok: true, original: 'postmaster', localDomain: true, route };
  }
  const parsed = parseAddress(input);
  if (!parsed.ok) return { ok: false, reply: replies.badRecipient(parsed.reason) };
  const look = lookupFor(directory);
  const original = parsed.value.address;
  const localDomain = (await look.getDomain(parsed.value.domain)) !== undefined;
  if (!localDomain)
    return { ok: true, original, localDomain, route: { kind: 'external', address: original } };
  const srs = opts.srs ? srsReverse(original, opts.srs.secret, opts.srs.now) : undefined;
  if (srs && !srs.ok) return { ok: false, reply: replies.badSrsAddress(original, srs.reason) };
  const route = await follow(look, srs ? srs.account : original, 0, postmaster);
  if ('code' in route) return { ok: false, reply: route };
  return { ok: true, original, localDomain, route };
}
