/**
 * The rules engine's input and output types: what the caller hands `evaluateRules` (rule sets,
 * a message view, the evaluation context) and the plan it gets back to apply (the message's fate,
 * flags, header edits, generated messages, auto-replies awaiting a vacation claim) plus the trace
 * a dry run explains. Types only; the semantics are documented in evaluate.ts.
 */
import type { MessageSource } from '../mail/message-source.ts';
import type { HeaderList } from './headers.ts';
import type { Action, Condition, Priority, Rule, RuleScope } from './model.ts';

/** One rule set, in the order sets run: [domain, account] at delivery, [cluster] at enqueue. */
export interface RuleSetInput {
  readonly scope: RuleScope;
  readonly rules: readonly Rule[];
}

/** What the rules see of a message. */
export interface MessageView {
  /** Envelope sender; '' is the null sender `<>`. */
  readonly mailFrom: string;
  /** Envelope recipients: at delivery the account's recipient(s) of this message, at enqueue all. */
  readonly recipients: readonly string[];
  readonly source: MessageSource;
  /** parseHeaderBlock(header block read from the stored body). */
  readonly headers: HeaderList;
  /** Bytes of the whole message. */
  readonly size: number;
}

export interface EvaluationContext {
  /** Whose rules these are: the account address; for cluster rules the postmaster address. */
  readonly owner: string;
  /** The account's real name, for the From of generated mail. */
  readonly ownerName?: string;
  /** The account's aliases: a To or Cc naming one of them lets an auto-reply answer (RFC 3834 §2). */
  readonly ownerAliases?: readonly string[];
  readonly now: Date;
  /** The account's time zone as minutes east of UTC (+60 = CET); default 0 (UTC). */
  readonly utcOffsetMinutes?: number;
  /** The job/delivery id: seeds Message-IDs and `idSeed`, so a retried delivery regenerates alike. */
  readonly deliveryId: string;
  /** Received headers allowed before generation counts as a loop; default DEFAULT_RULES_HOP_LIMIT. */
  readonly receivedLimit?: number;
}

export interface ConditionVerdict {
  readonly condition: Condition;
  readonly matched: boolean;
  /** The message's values the condition compared (addresses, header values, size …). */
  readonly seen: readonly string[];
  /** Why, in words: 'no Cc header', '"*@example.com" matches bob@example.com'. */
  readonly why: string;
}

export interface ActionOutcome {
  readonly action: Action;
  /** Index in the rule's `actions`. */
  readonly index: number;
  /** False when the action had no effect (suppressed reply, loop, outside the vacation window, reject). */
  readonly applied: boolean;
  /** What the action did, in words. */
  readonly effect: string;
}

export type RuleStatus = 'matched' | 'not matched' | 'inactive' | 'not run';

export interface RuleTrace {
  readonly scope: RuleScope;
  /** Index in its set's JSON array. */
  readonly index: number;
  readonly name: string;
  readonly priority: Priority;
  readonly status: RuleStatus;
  /** For 'not run': the rule whose stop, discard or reject ended processing. */
  readonly stoppedBy?: string;
  readonly conditions: readonly ConditionVerdict[];
  readonly actions: readonly ActionOutcome[];
}

/**
 * A message a rule generates, to enqueue with source RULE. Its body is `head`, then the original
 * message's bytes when `includesOriginal`, then `tail` (assembleGeneratedBody does this).
 * Messages carrying the original should keep the original job's bodyType/smtputf8; others are 7-bit.
 */
export interface GeneratedMessage {
  readonly kind: 'redirect' | 'forward' | 'mirror' | 'reply' | 'vacation';
  /** The rule's name (logs). */
  readonly rule: string;
  /** Envelope sender; '' is `<>` (auto-replies). */
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly head: string;
  readonly includesOriginal: boolean;
  readonly tail: string;
  /** Stable for this delivery, rule and action: derive the queue id from it (idempotent enqueue). */
  readonly idSeed: string;
}

/** "Once per sender per period": send only when AutoReplyMemory.claim(...) answers true. */
export interface AutoReplyClaim {
  readonly account: string;
  readonly sender: string;
  readonly periodMs: number;
}

export interface PendingAutoReply {
  readonly message: GeneratedMessage;
  /** Present for vacation replies; plain replies are sent without a claim. */
  readonly claim?: AutoReplyClaim;
}

export type HeaderEdit =
  | { readonly kind: 'add header'; readonly name: string; readonly value: string }
  | { readonly kind: 'tag subject'; readonly tag: string };

/** What happens to the message itself for this recipient (account rules) or at enqueue (cluster rules). */
export type MessageFate =
  /** Store into these folders (account rules; ≥ 1), or enqueue as usual (cluster rules: folders = ['INBOX']). */
  | { readonly kind: 'deliver'; readonly folders: readonly string[] }
  /** Accepted but not stored/enqueued: the first action that cancelled the default delivery. */
  | { readonly kind: 'drop'; readonly because: 'redirect' | 'forward' | 'discard' }
  /** Permanent failure for this recipient with this text (a DSN goes to the sender). */
  | { readonly kind: 'reject'; readonly text: string };

export interface RulesPlan {
  readonly fate: MessageFate;
  /** IMAP flags for every stored copy (e.g. \\Seen, $Junk). */
  readonly flags: readonly string[];
  /** Edits to the stored copies (cluster rules: to the enqueued message), in order. */
  readonly headerEdits: readonly HeaderEdit[];
  /** Redirected, forwarded and mirrored messages: enqueue them. */
  readonly messages: readonly GeneratedMessage[];
  /** Replies and vacation replies: resolve with finalizeAutoReplies, then enqueue. */
  readonly autoReplies: readonly PendingAutoReply[];
  /** Set when loop protection is active for this message: no rule generated mail for it. */
  readonly loopBlocked?: string;
  readonly trace: readonly RuleTrace[];
}
