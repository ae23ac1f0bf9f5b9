/**
 * Typed per-recipient outcomes and SMTP replies. Outcomes are values, never exceptions:
 * every delivery path (frontend RCPT checks, delivery channel, relay) answers one of these per
 * recipient, and `smtp-replies.ts` is the single place that turns them into SMTP wire replies.
 */

/** An SMTP reply: basic code, RFC 3463 enhanced status code and human text. */
export interface Reply {
  readonly code: number;
  readonly enhanced: string;
  readonly text: string;
}

export type RecipientOutcome =
  | { readonly kind: 'delivered'; readonly reply?: Reply }
  | { readonly kind: 'temporary'; readonly reply: Reply }
  | { readonly kind: 'permanent'; readonly reply: Reply };

export const delivered = (reply?: Reply): RecipientOutcome =>
  reply ? { kind: 'delivered', reply } : { kind: 'delivered' };
export const temporary = (reply: Reply): RecipientOutcome => ({ kind: 'temporary', reply });
export const permanent = (reply: Reply): RecipientOutcome => ({ kind: 'permanent', reply });

/** Classify a raw SMTP/LMTP reply code the way a client must: 2xx ok, 4xx retry, 5xx give up. */
export function outcomeFromReply(reply: Reply): RecipientOutcome {
  if (reply.code >= 200 && reply.code < 300) return delivered(reply);
  if (reply.code >= 400 && reply.code < 500) return temporary(reply);
  return permanent(reply);
}
