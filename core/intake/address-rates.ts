/**
 * Per-client-address rates of unauthenticated MX mail, counted on every frontend with the
 * cluster-wide Counters in fixed windows: transactions (each MAIL FROM) and accepted recipients.
 * Beyond either limit the command is answered 450 4.7.1 naming the limit until the window ends
 * (a temporary refusal: a legitimate sender retries later). A limit of 0 is off. Counter faults
 * propagate (the session answers 451 4.3.0).
 */
import type { Reply } from '../mail/outcome.ts';
import { replies } from '../mail/smtp-replies.ts';
import type { Counters } from '../ports/counters.ts';
import { clientAddressKey } from './client-address.ts';

export interface AddressRateLimits {
  readonly messagesPerAddress: number;
  readonly recipientsPerAddress: number;
  readonly rateWindowSeconds: number;
}

/** The counter of one client address (an IPv6 client by its /64). */
export const addressRateKey = (what: 'messages' | 'recipients', ip: string) =>
  `mx-${what}:${clientAddressKey(ip)}`;

/** Count one message (at MAIL FROM) or one recipient (accepted at RCPT); a reply when over the limit. */
export async function consumeAddressRate(
  counters: Counters,
  limits: AddressRateLimits,
  what: 'messages' | 'recipients',
  ip: string,
): Promise<Reply | undefined> {
  const limit = what === 'messages' ? limits.messagesPerAddress : limits.recipientsPerAddress;
  if (limit === 0) return undefined;
  const result = await counters.tryConsume(addressRateKey(what, ip), limits.rateWindowSeconds, limit);
  return result.allowed ? undefined : replies.addressRate(what, limit, limits.rateWindowSeconds);
}
