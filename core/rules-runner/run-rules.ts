/**
 * The one rules runner: the cluster rules at enqueue (intake/cluster-rules.ts) and the domain then
 * account rules at delivery (delivery/apply-rules.ts) both run through it. Two steps, because
 * delivery stores the message between them and sends generated mail only once its copy is stored:
 *  1. `evaluateRuleSets` loads the sets in run order (a stored set that no longer validates is
 *     skipped and logged, so mail still flows), reads the header block only when some set has
 *     rules, evaluates, and logs what matched → a RulesPlan: the message's fate (deliver to
 *     folders / drop / reject), flags and header edits, for the caller to apply.
 *  2. `submitGenerated` resolves the plan's auto-replies (vacation claims) and hands each
 *     generated message to the caller's GeneratedMailSink under an id derived from the delivery
 *     (stable across retries), within an optional hourly limit per owner and with the caller's
 *     return path → what was submitted, held back by the limit, or not answered again.
 * Rule store, message store and sink faults propagate: the caller answers 451 or retries.
 */
import { Readable } from 'node:stream';
import { readHeaderBlock } from '../mail/header-block.ts';
import type { MessageSource } from '../mail/message-source.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import type { Logger } from '../ports/logger.ts';
import { describeRuleSet, type RuleSetRef, type RuleStore } from '../ports/rule-store.ts';
import {
  type AutoReplyMemory,
  assembleGeneratedBody,
  evaluateRules,
  finalizeAutoReplies,
  type GeneratedMessage,
  type HeaderList,
  parseHeaderBlock,
  RuleSetError,
  type RuleSetInput,
  type RulesPlan,
} from '../rules/index.ts';
import { derivedQueueId } from '../util/ids.ts';
import { metrics } from '../util/metrics.ts';
import type { GeneratedMailSink, GeneratedSubmission } from './generated-mail-sink.ts';

export interface RunnerDeps {
  readonly store: RuleStore;
  readonly autoReplies: AutoReplyMemory;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The message the rules run on, and that generated mail may carry. */
export interface RulesSubject {
  /** The job or delivery id: seeds the ids (and Message-IDs) of generated mail. */
  readonly deliveryId: string;
  /** Envelope sender; '' is `<>`. */
  readonly mailFrom: string;
  readonly source: MessageSource;
  /** Bytes of the whole message. */
  readonly size: number;
  /** Opens the stored message afresh. */
  readonly openBody: () => Promise<Readable>;
  /** Envelope traits a generated message that carries the original keeps. */
  readonly smtputf8?: boolean;
  readonly bodyType?: '7BIT' | '8BITMIME';
}

/** Whose rules these are: the account, or the postmaster for the cluster rules. */
export interface RulesOwner {
  /** From of replies, the loop mark, the key of the hourly limit. */
  readonly address: string;
  /** Real name for the From of generated mail. */
  readonly name?: string;
  /**
   * The account's aliases (a To or Cc naming one lets an auto-reply answer, RFC 3834 §2); read
   * only when there are rules to evaluate.
   */
  readonly aliases?: () => Promise<readonly string[]>;
}

/** What generating mail needs: the message, the owner, and fields for every log line. */
export interface GenerationRun {
  readonly subject: RulesSubject;
  readonly owner: RulesOwner;
  /** Added to every log line of this run (queueId, and the account on backends). */
  readonly logFields: Readonly<Record<string, unknown>>;
}

/** One evaluation: the sets in run order and the envelope recipients the rules see. */
export interface RulesRun extends GenerationRun {
  /** [cluster] at enqueue, [domain, account] at delivery. */
  readonly sets: readonly RuleSetRef[];
  /** At enqueue every envelope recipient; at delivery the one being delivered. */
  readonly recipients: readonly string[];
  /** Received headers before generation counts as a loop (default: DEFAULT_RULES_HOP_LIMIT). */
  readonly receivedLimit?: number;
}

/** Guards on generated mail beyond the engine's own loop checks. */
export interface GenerationGuards {
  /** Messages the owner's rules may generate per hour; the rest are dropped and logged. */
  readonly hourly?: { readonly counters: Counters; readonly perHour: number };
  /** The envelope sender a generated message goes out with (default its own). */
  readonly returnPath?: (m: GeneratedMessage) => Promise<string>;
}

export interface SubmittedMessage {
  readonly id: string;
  readonly kind: GeneratedMessage['kind'];
  readonly rule: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
}

export interface GeneratedReport {
  readonly submitted: readonly SubmittedMessage[];
  /** Ids held back by the hourly limit. */
  readonly limited: readonly string[];
  /** Vacation replies not sent: that sender was answered within the period. */
  readonly notAnsweredAgain: number;
}

/** The plan when no rule applies: deliver (INBOX), nothing else. */
export const INBOX_PLAN: RulesPlan = {
  fate: { kind: 'deliver', folders: ['INBOX'] },
  flags: [],
  headerEdits: [],
  messages: [],
  autoReplies: [],
  trace: [],
};

const NOTHING_GENERATED: GeneratedReport = { submitted: [], limited: [], notAnsweredAgain: 0 };

/** A stored set that no longer validates is skipped (mail still flows) and logged. */
async function loadSet(deps: RunnerDeps, ref: RuleSetRef, fields: GenerationRun['logFields']) {
  const scope = ref.kind;
  try {
    return { scope, rules: await deps.store.get(ref) } satisfies RuleSetInput;
  } catch (err) {
    if (!(err instanceof RuleSetError)) throw err;
    const set = describeRuleSet(ref);
    deps.logger.error({ event: 'rules.invalid_stored', ...fields, set, problems: err.problems });
    return { scope, rules: [] } satisfies RuleSetInput;
  }
}

/** The header fields the rules test, from the stored message's header block. */
async function readHeaders(subject: RulesSubject): Promise<HeaderList> {
  return parseHeaderBlock(await readHeaderBlock(await subject.openBody()));
}

function logEvaluation(logger: Logger, run: RulesRun, plan: RulesPlan): void {
  const matched = plan.trace.filter((t) => t.status === 'matched').map((t) => `${t.scope}:${t.name}`);
  logger.info({
    event: 'rules.evaluated',
    ...run.logFields,
    matched,
    fate: plan.fate.kind,
    ...(plan.fate.kind === 'deliver' ? { folders: plan.fate.folders } : {}),
  });
  if (plan.loopBlocked)
    logger.warn({ event: 'rules.loop_blocked', ...run.logFields, reason: plan.loopBlocked });
}

/** Step 1: the plan for this message; INBOX_PLAN (body never read) when no set has rules. */
export async function evaluateRuleSets(deps: RunnerDeps, run: RulesRun): Promise<RulesPlan> {
  const sets = await Promise.all(run.sets.map((ref) => loadSet(deps, ref, run.logFields)));
  if (sets.every((s) => s.rules.length === 0)) return INBOX_PLAN;
  const { subject } = run;
  const aliases = run.owner.aliases ? await run.owner.aliases() : [];
  const plan = evaluateRules(
    sets,
    {
      mailFrom: subject.mailFrom,
      recipients: run.recipients,
      source: subject.source,
      headers: await readHeaders(subject),
      size: subject.size,
    },
    {
      owner: run.owner.address,
      ...(run.owner.name ? { ownerName: run.owner.name } : {}),
      ...(aliases.length > 0 ? { ownerAliases: aliases } : {}),
      now: new Date(deps.clock.now()),
      deliveryId: subject.deliveryId,
      ...(run.receivedLimit !== undefined ? { receivedLimit: run.receivedLimit } : {}),
    },
  );
  logEvaluation(deps.logger, run, plan);
  return plan;
}

/** What the sink gets: the generated bytes (with the original when it carries it) and envelope. */
function submission(subject: RulesSubject, m: GeneratedMessage, id: string, mailFrom: string) {
  const carries = m.includesOriginal;
  return {
    id,
    mailFrom,
    recipients: m.recipients,
    openBody: async () =>
      Readable.from(assembleGeneratedBody(m, carries ? await subject.openBody() : undefined)),
    ...(carries && subject.smtputf8 ? { smtputf8: true } : {}),
    ...(carries && subject.bodyType ? { bodyType: subject.bodyType } : {}),
  } satisfies GeneratedSubmission;
}

async function withinHourlyLimit(guards: GenerationGuards, owner: RulesOwner): Promise<boolean> {
  if (!guards.hourly) return true;
  const { counters, perHour } = guards.hourly;
  return (await counters.tryConsume(`rules-generated:${owner.address}`, 3600, perHour)).allowed;
}

/** Step 2: hand the plan's generated messages and granted auto-replies to the sink, in order. */
export async function submitGenerated(
  deps: RunnerDeps,
  run: GenerationRun,
  plan: RulesPlan,
  sink: GeneratedMailSink,
  guards: GenerationGuards = {},
): Promise<GeneratedReport> {
  if (plan.messages.length === 0 && plan.autoReplies.length === 0) return NOTHING_GENERATED;
  const { logger } = deps;
  const at = run.logFields;
  const replies = await finalizeAutoReplies(plan, deps.autoReplies);
  for (const s of replies.skipped) {
    logger.info({ event: 'rules.vacation_skipped', ...at, rule: s.reply.message.rule, reason: s.reason });
  }
  const submitted: SubmittedMessage[] = [];
  const limited: string[] = [];
  for (const m of [...plan.messages, ...replies.messages]) {
    const id = derivedQueueId(run.subject.deliveryId, m.idSeed);
    const what = { kind: m.kind, rule: m.rule, id };
    if (!(await withinHourlyLimit(guards, run.owner))) {
      logger.warn({ event: 'rules.generated_limited', ...at, ...what, limitPerHour: guards.hourly?.perHour });
      limited.push(id);
      continue;
    }
    const mailFrom = guards.returnPath ? await guards.returnPath(m) : m.mailFrom;
    await sink.submit(submission(run.subject, m, id, mailFrom));
    logger.info({ event: 'rules.generated', ...at, ...what, mailFrom, to: m.recipients, via: sink.mode });
    metrics.count('GeneratedMail');
    submitted.push({ ...what, mailFrom, recipients: m.recipients });
  }
  return { submitted, limited, notAnsweredAgain: replies.skipped.length };
}
