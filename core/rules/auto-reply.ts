/**
 * RFC 3834 automatic replies ('reply' and 'vacation' actions): when not to answer, the reply
 * message itself (to the envelope sender, from the owner, envelope sender <>, Auto-Submitted:
 * auto-replied, In-Reply-To/References, UTF-8 text), and the "once per sender per N days" memory
 * port that `finalizeAutoReplies` consults. A suppressed reply is a reason string, not an error;
 * only a failing AutoReplyMemory rejects finalizeAutoReplies.
 */
import { whyAutomated } from './automated.ts';
import {
  decodeEncodedWords,
  firstHeader,
  type HeaderList,
  headerAddresses,
  headerValues,
} from './headers.ts';
import { hasLoopMark, LOOP_HEADER, loopMarkLine } from './loops.ts';
import {
  derivedMessageId,
  encodeHeaderText,
  encodeTextBody,
  formatMailbox,
  formatMessageDate,
  headerLine,
} from './mime.ts';
import type {
  EvaluationContext,
  GeneratedMessage,
  MessageView,
  PendingAutoReply,
  RulesPlan,
} from './plan.ts';

/**
 * Remembers whom an account has auto-replied to. `claim` answers true when no reply went to
 * `sender` within the last `periodMs` and records this one (atomically: of two concurrent claims
 * only one wins); false otherwise. Implement it on the Directory/DynamoDB with a conditional write.
 */
export interface AutoReplyMemory {
  claim(account: string, sender: string, periodMs: number): Promise<boolean>;
}

/**
 * True when To or Cc names the account: its own address, an envelope recipient it received this
 * message as (an alias the message was addressed to), or one of `aliases` (RFC 3834 §2: a message
 * that reached the account by Bcc or through a list is not answered).
 */
export function namesAccount(view: MessageView, owner: string, aliases: readonly string[] = []): boolean {
  const names = new Set([owner, ...view.recipients, ...aliases].map((a) => a.toLowerCase()));
  return [...headerAddresses(view.headers, 'To'), ...headerAddresses(view.headers, 'Cc')].some((a) =>
    names.has(a.address),
  );
}

/** Why no automatic reply may go out for this message, or undefined when one may. */
export function whyNoAutoReply(
  view: MessageView,
  owner: string,
  aliases: readonly string[] = [],
): string | undefined {
  const automated = whyAutomated(view.headers, view.mailFrom);
  if (automated) return automated;
  if (view.mailFrom.toLowerCase() === owner.toLowerCase()) return 'the sender is the account itself';
  if (hasLoopMark(view.headers, owner)) return `the message carries ${LOOP_HEADER}: ${owner}`;
  if (!namesAccount(view, owner, aliases)) return 'the account is not named in To or Cc (RFC 3834 §2)';
  return undefined;
}

/** The first `<…>` message id in a field value. */
function messageIdOf(value: string | undefined): string | undefined {
  return value === undefined ? undefined : /<[^<>\s]+>/.exec(value)?.[0];
}

/** "Re: <original subject>" unless the original already starts with Re:. */
export function replySubject(headers: HeaderList): string {
  const raw = firstHeader(headers, 'Subject');
  const original = raw === undefined ? '' : decodeEncodedWords(raw).trim();
  if (original === '') return 'Re: (no subject)';
  return /^re:/i.test(original) ? original : `Re: ${original}`;
}

export interface AutoReplyInput {
  readonly kind: 'reply' | 'vacation';
  readonly rule: string;
  readonly idSeed: string;
  readonly subject?: string;
  readonly text: string;
}

/** The reply message: to the envelope sender, from the owner, envelope sender <>. */
export function buildAutoReply(
  input: AutoReplyInput,
  view: MessageView,
  ctx: EvaluationContext,
): GeneratedMessage {
  const originalId = messageIdOf(firstHeader(view.headers, 'Message-ID'));
  const references =
    headerValues(view.headers, 'References')
      .join(' ')
      .match(/<[^<>\s]+>/g) ?? [];
  // Keep the thread short: the first reference and the most recent ones (RFC 5322 §3.6.4).
  const refs = [...references, ...(originalId ? [originalId] : [])];
  const kept = refs.length > 10 ? [refs[0]!, ...refs.slice(-9)] : refs;
  const body = encodeTextBody(input.text);
  const domain = ctx.owner.slice(ctx.owner.lastIndexOf('@') + 1);
  const head =
    headerLine('From', formatMailbox(ctx.owner, ctx.ownerName)) +
    headerLine('To', `<${view.mailFrom}>`) +
    headerLine('Subject', encodeHeaderText(input.subject ?? replySubject(view.headers))) +
    headerLine('Date', formatMessageDate(ctx.now, ctx.utcOffsetMinutes)) +
    headerLine('Message-ID', derivedMessageId(input.idSeed, domain)) +
    (originalId ? headerLine('In-Reply-To', originalId) : '') +
    (kept.length > 0 ? headerLine('References', kept.join(' ')) : '') +
    'Auto-Submitted: auto-replied\r\n' +
    loopMarkLine(ctx.owner) +
    'MIME-Version: 1.0\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Transfer-Encoding: ${body.encoding}\r\n` +
    '\r\n' +
    body.body;
  return {
    kind: input.kind,
    rule: input.rule,
    mailFrom: '',
    recipients: [view.mailFrom],
    head,
    includesOriginal: false,
    tail: '',
    idSeed: input.idSeed,
  };
}

/** Is `localDate` (YYYY-MM-DD) inside the vacation window (both ends inclusive, either optional)? */
export function inVacationWindow(localDate: string, from?: string, until?: string): boolean {
  return (from === undefined || localDate >= from) && (until === undefined || localDate <= until);
}

export interface FinalizedAutoReplies {
  /** Replies to enqueue now. */
  readonly messages: readonly GeneratedMessage[];
  /** Vacation replies the memory refused (already answered within the period). */
  readonly skipped: readonly { readonly reply: PendingAutoReply; readonly reason: string }[];
}

/**
 * Resolve the plan's auto-replies: plain replies pass, vacation replies go out only when the memory
 * grants the claim. Claims are made in order, just before enqueueing: if the enqueue then fails,
 * that sender misses one vacation reply rather than getting two.
 */
export async function finalizeAutoReplies(
  plan: RulesPlan,
  memory: AutoReplyMemory,
): Promise<FinalizedAutoReplies> {
  const messages: GeneratedMessage[] = [];
  const skipped: { reply: PendingAutoReply; reason: string }[] = [];
  for (const reply of plan.autoReplies) {
    if (!reply.claim) {
      messages.push(reply.message);
      continue;
    }
    const { account, sender, periodMs } = reply.claim;
    if (await memory.claim(account, sender, periodMs)) messages.push(reply.message);
    else
      skipped.push({
        reply,
        reason: `${sender} was already answered within ${Math.round(periodMs / 86_400_000)} day(s)`,
      });
  }
  return { messages, skipped };
}
