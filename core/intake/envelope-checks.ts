/**
 * MAIL FROM and RCPT TO decisions for one SMTP session: sender syntax and the submission
 * port's authentication rule, recipient resolution (SRS bounce addresses included), relay control,
 * account state (disabled, over quota, inbound flow MailInpFlow counted per accepted RCPT across the
 * cluster), a declared SIZE against the account's limit, IP-literal recipients (refused unless
 * allowed) and non-ASCII addresses without SMTPUTF8 (553 5.6.7, RFC 6531). Every answer is a typed value; a
 * directory, counter or mailbox-store fault becomes 451 4.3.0 (replies.localError), never a throw.
 */

import { type RecipientRoute, resolveRecipient } from '../directory/resolve-recipient.ts';
import { isNonAscii, parseAddress } from '../mail/address.ts';
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import type { DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { DsnNotify } from '../ports/mail-queue.ts';
import type { MailboxStore } from '../ports/mailbox-store.ts';
import type { SuppressionsReader } from '../ports/suppressions.ts';
import type { TrustedNetworks } from './trusted-networks.ts';

/** What intake knows about the client side of a session. */
export interface SessionFacts {
  readonly ip: string;
  /** HELO/EHLO name ('' before the client sent one). */
  readonly helo: string;
  /** EHLO (true) or HELO (false). */
  readonly esmtp: boolean;
  readonly tls: boolean;
  /** Normalised account address after a successful AUTH. */
  readonly authUser?: string;
  /** The listener demands AUTH before MAIL (submission and implicit-TLS ports). */
  readonly requireAuth: boolean;
}

export interface RecipientRequest {
  readonly address: string;
  readonly orcpt?: string;
  readonly notify?: readonly string[];
  /** SIZE= declared at MAIL FROM, if any. */
  readonly declaredSize?: number;
  /** MAIL FROM carried SMTPUTF8: a non-ASCII address is allowed (else 553 5.6.7). */
  readonly smtputf8?: boolean;
}

/** A recipient accepted at RCPT, carried to acceptMessage. */
export interface AcceptedRecipient {
  /** Normalised address as the client gave it. */
  readonly original: string;
  readonly route: RecipientRoute;
  readonly orcpt?: string;
  readonly notify?: readonly DsnNotify[];
}

export interface EnvelopeDeps {
  readonly directory: DirectoryReader;
  readonly mailboxes: MailboxStore;
  readonly trustedNetworks: TrustedNetworks;
  readonly logger: Logger;
  /** MailInpFlow counters; without them the inbound flow limit is not enforced here. */
  readonly counters?: Counters;
  /** Checks SRS bounce addresses; without it they are unknown names. */
  readonly srsSecret?: string;
  /** Accept IP-literal recipients (x@[10.0.0.5]); refused with 550 5.7.1 unless true. */
  readonly allowIpLiteralRecipients?: boolean;
  /** The cluster's postmaster address: bare `postmaster` and unknown postmaster@<hosted> go there. */
  readonly postmaster?: string;
  readonly clock?: Clock;
  /** Addresses SES reported as bounced or complaining: refused to authenticated senders. */
  readonly suppressions?: SuppressionsReader;
}

/** The counter all frontends share for one account's inbound flow. */
export const inflowKey = (account: string) => `inflow:${account}`;

export type SenderCheck = { ok: true; address: string } | { ok: false; reply: Reply };
export type RecipientCheck = { ok: true; recipient: AcceptedRecipient } | { ok: false; reply: Reply };

/**
 * MAIL FROM: '' (the null sender) or a valid address; submission requires AUTH first; a
 * non-ASCII address only with SMTPUTF8 (`smtputf8`), else 553 5.6.7.
 */
export function checkSender(session: SessionFacts, input: string, smtputf8 = false): SenderCheck {
  if (session.requireAuth && !session.authUser) {
    return { ok: false, reply: session.tls ? replies.authRequired() : replies.tlsRequired() };
  }
  if (input.trim() === '' || input.trim() === '<>') return { ok: true, address: '' };
  if (!smtputf8 && isNonAscii(input))
    return { ok: false, reply: replies.utf8AddressNeedsSmtpUtf8(input.trim()) };
  const parsed = parseAddress(input);
  return parsed.ok
    ? { ok: true, address: parsed.value.address }
    : { ok: false, reply: replies.badSender(parsed.reason) };
}

/** An address whose domain is an address literal: x@[10.0.0.5], x@[IPv6:::1]. */
export function isIpLiteralRecipient(address: string): boolean {
  return /@\[[^\]]*\]\s*$/.test(address.trim().replace(/^<|>$/g, ''));
}

/** Relay is for authenticated users and trusted networks only. */
export function mayRelay(session: SessionFacts, trusted: TrustedNetworks): boolean {
  return session.authUser !== undefined || trusted.contains(session.ip);
}

const NOTIFY_VALUES: readonly string[] = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'];

function notifyList(values: readonly string[] | undefined): DsnNotify[] | undefined {
  const list = values?.map((v) => v.toUpperCase()).filter((v): v is DsnNotify => NOTIFY_VALUES.includes(v));
  return list && list.length > 0 ? list : undefined;
}

type LocalRoute = Extract<RecipientRoute, { kind: 'local' }>;

/** Why a local account refuses this RCPT now, or undefined: disabled, declared SIZE, quota, inbound flow. */
async function accountRefusal(
  deps: EnvelopeDeps,
  route: LocalRoute,
  original: string,
  declaredSize: number | undefined,
): Promise<Reply | undefined> {
  const { settings, address } = route;
  if (!settings.Enabled) return replies.mailboxDisabled(original);
  if (
    declaredSize !== undefined &&
    settings.MaxMessageSize !== null &&
    declaredSize > settings.MaxMessageSize
  ) {
    return replies.messageTooBigForRecipient(original, settings.MaxMessageSize);
  }
  if (settings.MaxAccountSize !== null && (await deps.mailboxes.usage(address)) >= settings.MaxAccountSize) {
    return replies.mailboxFull(original);
  }
  // Checked last: it counts this RCPT against the account's flow across the cluster.
  if (settings.MailInpFlow && deps.counters) {
    const [count, seconds] = settings.MailInpFlow;
    const flow = await deps.counters.tryConsume(inflowKey(address), seconds, count);
    if (!flow.allowed) return replies.mailInpFlow(original, count, seconds);
  }
  return undefined;
}

/** The accepted recipient with its DSN parameters (ORCPT, NOTIFY), when given. */
function acceptedRecipient(
  original: string,
  route: RecipientRoute,
  req: RecipientRequest,
): AcceptedRecipient {
  const notify = notifyList(req.notify);
  return {
    original,
    route,
    ...(req.orcpt !== undefined ? { orcpt: req.orcpt } : {}),
    ...(notify ? { notify } : {}),
  };
}

/** RCPT TO: resolve, then apply relay control and the account's state and limits. */
export async function checkRecipient(
  deps: EnvelopeDeps,
  session: SessionFacts,
  req: RecipientRequest,
): Promise<RecipientCheck> {
  if (!req.smtputf8 && isNonAscii(req.address)) {
    return { ok: false, reply: replies.utf8AddressNeedsSmtpUtf8(req.address.trim()) };
  }
  // Before any lookup and for everyone (authenticated users too): a literal names a host, not a
  // domain we route, and one such as 169.254.169.254 reaches the inside of the network.
  if (!deps.allowIpLiteralRecipients && isIpLiteralRecipient(req.address)) {
    return { ok: false, reply: replies.ipLiteralRefused(req.address.trim()) };
  }
  try {
    const now = (deps.clock ?? systemClock).now();
    const resolution = await resolveRecipient(deps.directory, req.address, {
      ...(deps.srsSecret ? { srs: { secret: deps.srsSecret, now } } : {}),
      ...(deps.postmaster ? { postmaster: deps.postmaster } : {}),
    });
    if (!resolution.ok) return resolution;
    const { original, route } = resolution;
    if (!resolution.localDomain && !mayRelay(session, deps.trustedNetworks)) {
      return { ok: false, reply: replies.relayDenied(original) };
    }
    if (!resolution.localDomain && session.authUser !== undefined && deps.suppressions) {
      const suppressed = await deps.suppressions.get(original);
      if (suppressed) return { ok: false, reply: replies.recipientSuppressed(original, suppressed.reason) };
    }
    if (route.kind === 'local') {
      const refused = await accountRefusal(deps, route, original, req.declaredSize);
      if (refused) return { ok: false, reply: refused };
    }
    return { ok: true, recipient: acceptedRecipient(original, route, req) };
  } catch (err) {
    deps.logger.error({ event: 'intake.directory_failed', rcpt: req.address, err }, 'recipient check failed');
    return { ok: false, reply: replies.localError() };
  }
}
