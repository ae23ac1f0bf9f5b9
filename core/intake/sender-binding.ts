/**
 * Sender binding for authenticated users: who may be named as the envelope sender (MAIL FROM)
 * and in the From and Sender header fields. Allowed are the account's own address, its aliases
 * (asked of the directory: an alias naming this account, in any hosted domain) and the entries of
 * the account's effective `SendAs` setting (addresses, and `@domain` for any address of a domain).
 * The null sender `<>` is allowed at MAIL FROM. A message whose From names a granted (SendAs)
 * address, or more than one address, gets `Sender: <account>` unless it carries an allowed Sender
 * of its own; the account's own address and its aliases need none (an alias is the account's
 * own name and is not unmasked). Refusals are values: 553 5.7.1 at MAIL FROM, 550 5.7.1 for the
 * header; a From field without a readable address, or one too long to read whole, is refused too
 * (fail closed). Directory faults reject (the caller answers 451 4.3.0).
 * Trusted networks and unauthenticated (MX) sessions have no binding: the caller passes none.
 */
import { domainOf } from '../mail/address.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import { type HeaderList, headerAddresses, headerValues, parseHeaderBlock } from '../rules/headers.ts';
import type { HeaderHook } from './body-stream.ts';
import type { SessionFacts } from './envelope-checks.ts';
import type { SenderLimits } from './sender-limits.ts';
import type { TrustedNetworks } from './trusted-networks.ts';

/** What an authenticated user may send as: the account and what the administrator granted. */
export interface SenderBinding {
  /** The authenticated account's address (normalised). */
  readonly account: string;
  /** The effective SendAs setting: addresses and `@domain` entries. */
  readonly sendAs: readonly string[];
}

/** Why an address is allowed: the account itself, one of its aliases, or granted by SendAs. */
export type AllowedAs = 'own' | 'alias' | 'granted';

export type BindingDirectory = Pick<DirectoryReader, 'lookupName'>;

/** The header fields the binding reads. */
export const BOUND_FIELDS = ['From', 'Sender'] as const;

/**
 * The binding of a session's transaction: none for unauthenticated sessions and trusted networks;
 * else the authenticated account with the SendAs its limits carry (none when the account is gone).
 */
export function senderBindingFor(
  session: SessionFacts,
  trusted: TrustedNetworks,
  limits: SenderLimits | undefined,
): SenderBinding | undefined {
  if (session.authUser === undefined || trusted.contains(session.ip)) return undefined;
  return { account: limits?.account ?? session.authUser, sendAs: limits?.sendAs ?? [] };
}

/** How `address` (normalised) is allowed for `binding`, or undefined when it is not. */
export async function allowedAs(
  directory: BindingDirectory,
  binding: SenderBinding,
  address: string,
): Promise<AllowedAs | undefined> {
  const wanted = address.toLowerCase();
  if (wanted === binding.account) return 'own';
  if (binding.sendAs.includes(wanted) || binding.sendAs.includes(`@${domainOf(wanted)}`)) return 'granted';
  const entry = await directory.lookupName(wanted);
  if (entry?.kind === 'alias' && entry.alias.account.toLowerCase() === binding.account) return 'alias';
  return undefined;
}

/** MAIL FROM: undefined when `mailFrom` may be used ('' is the null sender), else 553 5.7.1. */
export async function checkMailFromBinding(
  directory: BindingDirectory,
  binding: SenderBinding,
  mailFrom: string,
): Promise<Reply | undefined> {
  if (mailFrom === '') return undefined;
  if (await allowedAs(directory, binding, mailFrom)) return undefined;
  return replies.senderNotOwned(mailFrom, binding.account);
}

/** The header verdict: refused, or accepted with the header lines (if any) to add. */
export type HeaderVerdict =
  | { readonly ok: true; readonly add?: string }
  | { readonly ok: false; readonly reply: Reply };

/** The header section's From/Sender as intake saw it (header-tap.ts). */
export interface BoundHeaders {
  readonly headers: HeaderList;
  /** A From or Sender field was too long to be read whole. */
  readonly truncated: boolean;
}

/** Each field's addresses must all be allowed; the kinds found, or the refusal. */
async function fieldKinds(
  directory: BindingDirectory,
  binding: SenderBinding,
  headers: HeaderList,
  field: string,
): Promise<{ kinds: AllowedAs[] } | { reply: Reply }> {
  const kinds: AllowedAs[] = [];
  for (const value of headerValues(headers, field)) {
    const addresses = headerAddresses([[field, value]], field);
    if (addresses.length === 0) return { reply: replies.headerSenderUnreadable(field, binding.account) };
    for (const { address } of addresses) {
      const kind = await allowedAs(directory, binding, address);
      if (!kind) return { reply: replies.headerSenderNotOwned(field, address, binding.account) };
      kinds.push(kind);
    }
  }
  return { kinds };
}

/**
 * End of the header section: every From and Sender address must be allowed (550 5.7.1 naming
 * the first that is not). Answers the `Sender:` line to add when From names a granted address
 * or several addresses and the message has no Sender of its own.
 */
export async function checkHeaderBinding(
  directory: BindingDirectory,
  binding: SenderBinding,
  seen: BoundHeaders,
): Promise<HeaderVerdict> {
  if (seen.truncated) return { ok: false, reply: replies.headerSenderUnreadable('From', binding.account) };
  const from = await fieldKinds(directory, binding, seen.headers, 'From');
  if ('reply' in from) return { ok: false, reply: from.reply };
  const sender = await fieldKinds(directory, binding, seen.headers, 'Sender');
  if ('reply' in sender) return { ok: false, reply: sender.reply };
  const needsSender = from.kinds.includes('granted') || from.kinds.length > 1;
  if (!needsSender || sender.kinds.length > 0) return { ok: true };
  return { ok: true, add: `Sender: ${binding.account}\r\n` };
}

/** The binding as intake's header hook: reads From and Sender while the message streams. */
export function senderHeaderHook(directory: BindingDirectory, binding: SenderBinding): HeaderHook {
  return {
    fields: BOUND_FIELDS,
    check: (block, truncated) =>
      checkHeaderBinding(directory, binding, { headers: parseHeaderBlock(block), truncated }),
  };
}
