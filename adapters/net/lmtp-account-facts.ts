/**
 * How a temporary outcome's typed account fact (core/mail/outcome.ts) travels over LMTP, where a
 * recipient's answer is only a reply line. The backend's LMTP server writes it, the LMTP channel
 * reads it back, and nothing else knows the convention:
 *
 *   451 4.2.0 <a@example.com>: account is open on backend=b2 [strato:owner=b2]
 *   450 4.2.1 <a@example.com>: mail service disabled for this account, will retry [strato:state=disabled]
 *   452 4.2.2 <a@example.com>: mailbox full (quota exceeded) [strato:state=full]
 *   451 4.3.2 Backend b1 is stopping, its accounts are moving; try again [strato:moving=backend-stopping]
 *
 * The last one is also what a stopping backend answers to MAIL FROM (the channel reads that
 * reply the same way and gives its fact to every recipient of the transaction).
 * Each state has its own enhanced status code, and one machine token ends the human text (which
 * stays as it was, for logs and DSNs). The reader takes a fact only from a 4xx reply whose text
 * ends with a token and whose enhanced code is that state's, and strips the token, so the channel
 * answers the outcome the backend made. User text cannot forge a token: the writer defangs
 * "[strato:" in every text it sends. An owner that is not a valid backend id is not written: that
 * outcome then travels as a plain temporary one (the queue retries it on its own schedule).
 */
import { BACKEND_ID_PATTERN } from '../../core/config/backend-config.ts';
import {
  type AccountFact,
  accountFactOf,
  type MoveCause,
  outcomeFromReply,
  type RecipientOutcome,
  type Reply,
  temporary,
} from '../../core/mail/outcome.ts';
import { replyForOutcome } from '../../core/mail/smtp-replies.ts';

/** The enhanced status code each account state is sent with (RFC 3463 X.2.Y: mailbox status). */
const ENHANCED: Readonly<Record<AccountFact['state'], string>> = {
  'open-elsewhere': '4.2.0',
  disabled: '4.2.1',
  full: '4.2.2',
  // RFC 3463 X.3.2: system not accepting network messages (the backend is stopping).
  moving: '4.3.2',
};

const MOVE_CAUSES: readonly MoveCause[] = ['backend-stopping', 'backend-unreachable', 'no-live-backend'];

const TAG = '[strato:';
/** A token at the very end of the text, after one space. */
const TOKEN = /^(.*) \[strato:(?:owner=([^\]\s]+)|state=(disabled|full)|moving=([a-z-]+))\]$/s;

function tokenFor(fact: AccountFact): string | undefined {
  if (fact.state === 'moving') return `${TAG}moving=${fact.why}]`;
  if (fact.state !== 'open-elsewhere') return `${TAG}state=${fact.state}]`;
  return BACKEND_ID_PATTERN.test(fact.owner) ? `${TAG}owner=${fact.owner}]` : undefined;
}

/** The reply the LMTP server sends for a recipient's outcome, with its account fact if any. */
export function lmtpReplyFor(outcome: RecipientOutcome): Reply {
  const reply = replyForOutcome(outcome);
  const text = reply.text.replaceAll(TAG, '[strato-');
  const fact = accountFactOf(outcome);
  const token = fact && reply.code >= 400 && reply.code < 500 ? tokenFor(fact) : undefined;
  if (!fact || !token) return { ...reply, text };
  return { code: reply.code, enhanced: ENHANCED[fact.state], text: `${text} ${token}` };
}

function factFrom(
  owner: string | undefined,
  state: string | undefined,
  moving: string | undefined,
): AccountFact | undefined {
  const why = MOVE_CAUSES.find((c) => c === moving);
  if (why) return { state: 'moving', why };
  if (owner !== undefined) {
    return BACKEND_ID_PATTERN.test(owner) ? { state: 'open-elsewhere', owner } : undefined;
  }
  if (state === 'disabled' || state === 'full') return { state };
  return undefined;
}

/** The outcome an LMTP per-recipient reply stands for, with the account fact it carries. */
export function outcomeFromLmtpReply(reply: Reply): RecipientOutcome {
  const outcome = outcomeFromReply(reply);
  if (outcome.kind !== 'temporary') return outcome;
  const m = TOKEN.exec(reply.text);
  const fact = m ? factFrom(m[2], m[3], m[4]) : undefined;
  if (!m || !fact || ENHANCED[fact.state] !== reply.enhanced) return outcome;
  return temporary({ ...reply, text: m[1] ?? '' }, fact);
}
