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

/**
 * Why a backend could not take a recipient now, as a typed fact (the reply text is for people):
 * the account is open on another backend (the queue goes to `owner` directly), or its mail
 * service is disabled or its mailbox full (the queue applies DisabledRetry / FullRetry), or it
 * is moving between backends (the queue retries it within seconds, core/queue/quick-retry.ts).
 * Channels carry it as a typed value; no one parses it back out of reply text.
 */
export type AccountFact =
  | { readonly state: 'open-elsewhere'; readonly owner: string }
  | { readonly state: 'disabled' }
  | { readonly state: 'full' }
  | { readonly state: 'moving'; readonly why: MoveCause };

/**
 * Why an account is moving: the backend asked is stopping gracefully (it releases its leases
 * once its deliveries in flight are done), could not be reached (connection refused or reset),
 * or no backend is live at all for a moment.
 */
export type MoveCause = 'backend-stopping' | 'backend-unreachable' | 'no-live-backend';

/** The account states the queue retries on their own schedule. */
export type RetriedAccountState = Extract<AccountFact['state'], 'disabled' | 'full'>;

/**
 * What a relay adds about the next hop (direct MX delivery): the remote MTA that gave the reply
 * (DSNs show it as Remote-MTA), and for a delivered recipient what became of its DSN request:
 * `dsnPassedOn` (the next hop offers DSN and took NOTIFY/ORCPT: it reports success, not us) or
 * `relayed` (it does not offer DSN: a NOTIFY=SUCCESS report says `relayed`, RFC 3461 §5.2.2/§6.2,
 * not `delivered`). Neither: a final delivery (a local mailbox) or a relay that cannot tell.
 */
export interface RemoteFacts {
  readonly remoteMta?: string;
  readonly relayed?: boolean;
  readonly dsnPassedOn?: boolean;
}

export type RecipientOutcome =
  | ({ readonly kind: 'delivered'; readonly reply?: Reply } & RemoteFacts)
  | ({ readonly kind: 'temporary'; readonly reply: Reply; readonly account?: AccountFact } & RemoteFacts)
  | ({ readonly kind: 'permanent'; readonly reply: Reply } & RemoteFacts);

export const delivered = (reply?: Reply): RecipientOutcome =>
  reply ? { kind: 'delivered', reply } : { kind: 'delivered' };
export const temporary = (reply: Reply, account?: AccountFact): RecipientOutcome =>
  account ? { kind: 'temporary', reply, account } : { kind: 'temporary', reply };
export const permanent = (reply: Reply): RecipientOutcome => ({ kind: 'permanent', reply });

/** The account fact a temporary outcome carries, if any. */
export function accountFactOf(outcome: RecipientOutcome): AccountFact | undefined {
  return outcome.kind === 'temporary' ? outcome.account : undefined;
}

/** Classify a raw SMTP/LMTP reply code the way a client must: 2xx ok, 4xx retry, 5xx give up. */
export function outcomeFromReply(reply: Reply): RecipientOutcome {
  if (reply.code >= 200 && reply.code < 300) return delivered(reply);
  if (reply.code >= 400 && reply.code < 500) return temporary(reply);
  return permanent(reply);
}
