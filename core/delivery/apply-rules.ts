/**
 * Domain then account rules at delivery, for one recipient (deliver-to-accounts calls this):
 * `planDelivery` reads both rule sets and, when there are any, the message's header block and
 * evaluates them (owner = the account, recipients = this recipient); `sendGenerated` sends what
 * the plan generated — redirects, forwards, mirrors, replies and granted vacation replies — through
 * the GeneratedMailSink under ids derived from the delivery, within the account's hourly limit, with
 * an SRS return path for redirects to external addresses. Storage and sink faults reject (retry).
 */
import { Readable } from 'node:stream';
import { domainOf } from '../mail/address.ts';
import { readHeaderBlock } from '../mail/header-block.ts';
import type { MessageSource } from '../mail/message-source.ts';
import { srsForward } from '../mail/srs.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import type { AccountRecord, DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import { describeRuleSet, type RuleSetRef, type RuleStore } from '../ports/rule-store.ts';
import {
  type AutoReplyMemory,
  assembleGeneratedBody,
  evaluateRules,
  finalizeAutoReplies,
  type GeneratedMessage,
  parseHeaderBlock,
  type Rule,
  RuleSetError,
  type RuleSetInput,
  type RulesPlan,
} from '../rules/index.ts';
import type { GeneratedMailSink } from '../rules-runner/generated-mail-sink.ts';
import { derivedQueueId } from '../util/ids.ts';

export const DEFAULT_GENERATED_PER_HOUR = 100;

export interface RulesDeps {
  readonly store: RuleStore;
  readonly autoReplies: AutoReplyMemory;
  readonly counters: Counters;
  readonly sink: GeneratedMailSink;
  /** Secret for SRS return paths; without one, redirects to external addresses are sent from the account. */
  readonly srsSecret?: string;
  /** Messages an account's rules may generate per hour (default 100); the rest are dropped and logged. */
  readonly generatedPerHour?: number;
  /** Received headers before generation counts as a loop (default 50). */
  readonly receivedLimit?: number;
}

export interface ApplyRulesDeps {
  readonly rules: RulesDeps;
  readonly directory: DirectoryReader;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** The message being delivered, as apply-rules needs it. */
export interface RulesMessage {
  readonly deliveryId: string;
  readonly mailFrom: string;
  readonly size: number;
  readonly source: MessageSource;
  readonly openBody: () => Promise<Readable>;
}

/** The plan when no rule applies: INBOX, nothing else. */
export const INBOX_PLAN: RulesPlan = {
  fate: { kind: 'deliver', folders: ['INBOX'] },
  flags: [],
  headerEdits: [],
  messages: [],
  autoReplies: [],
  trace: [],
};

/** A stored set that no longer validates is skipped (mail still flows) and logged. */
async function readSet(deps: ApplyRulesDeps, ref: RuleSetRef): Promise<readonly Rule[]> {
  try {
    return await deps.rules.store.get(ref);
  } catch (err) {
    if (!(err instanceof RuleSetError)) throw err;
    deps.logger.error({ event: 'rules.invalid_stored', set: describeRuleSet(ref), problems: err.problems });
    return [];
  }
}

export async function planDelivery(
  deps: ApplyRulesDeps,
  msg: RulesMessage,
  account: AccountRecord,
  rcpt: string,
): Promise<RulesPlan> {
  const [domainRules, accountRules] = await Promise.all([
    readSet(deps, { kind: 'domain', name: account.domain }),
    readSet(deps, { kind: 'account', address: account.address }),
  ]);
  if (domainRules.length === 0 && accountRules.length === 0) return INBOX_PLAN;
  const sets: RuleSetInput[] = [
    { scope: 'domain', rules: domainRules },
    { scope: 'account', rules: accountRules },
  ];
  const headers = parseHeaderBlock(await readHeaderBlock(await msg.openBody()));
  const plan = evaluateRules(
    sets,
    { mailFrom: msg.mailFrom, recipients: [rcpt], source: msg.source, headers, size: msg.size },
    {
      owner: account.address,
      ...(account.realName ? { ownerName: account.realName } : {}),
      now: new Date(deps.clock.now()),
      deliveryId: msg.deliveryId,
      ...(deps.rules.receivedLimit !== undefined ? { receivedLimit: deps.rules.receivedLimit } : {}),
    },
  );
  const matched = plan.trace.filter((t) => t.status === 'matched').map((t) => `${t.scope}:${t.name}`);
  deps.logger.info({
    event: 'rules.evaluated',
    deliveryId: msg.deliveryId,
    account: account.address,
    matched,
    fate: plan.fate.kind,
    ...(plan.fate.kind === 'deliver' ? { folders: plan.fate.folders } : {}),
  });
  if (plan.loopBlocked) {
    deps.logger.warn({
      event: 'rules.loop_blocked',
      deliveryId: msg.deliveryId,
      account: account.address,
      reason: plan.loopBlocked,
    });
  }
  return plan;
}

/** The envelope sender a generated message goes out with (SRS for redirects leaving the cluster). */
async function returnPath(deps: ApplyRulesDeps, m: GeneratedMessage, account: string): Promise<string> {
  if (m.kind !== 'redirect' || m.mailFrom === '') return m.mailFrom;
  const domains = await Promise.all(m.recipients.map((r) => deps.directory.getDomain(domainOf(r))));
  if (domains.every((d) => d !== undefined)) return m.mailFrom;
  const secret = deps.rules.srsSecret;
  return (secret && srsForward(m.mailFrom, account, secret, deps.clock.now())) || account;
}

export async function sendGenerated(
  deps: ApplyRulesDeps,
  msg: RulesMessage,
  account: AccountRecord,
  plan: RulesPlan,
): Promise<void> {
  if (plan.messages.length === 0 && plan.autoReplies.length === 0) return;
  const log = deps.logger.child({ deliveryId: msg.deliveryId, account: account.address });
  const replies = await finalizeAutoReplies(plan, deps.rules.autoReplies);
  for (const s of replies.skipped) {
    log.info({ event: 'rules.vacation_skipped', rule: s.reply.message.rule, reason: s.reason });
  }
  const perHour = deps.rules.generatedPerHour ?? DEFAULT_GENERATED_PER_HOUR;
  for (const m of [...plan.messages, ...replies.messages]) {
    const id = derivedQueueId(msg.deliveryId, m.idSeed);
    const allowed = await deps.rules.counters.tryConsume(`rules-generated:${account.address}`, 3600, perHour);
    if (!allowed.allowed) {
      log.warn({ event: 'rules.generated_limited', kind: m.kind, rule: m.rule, id, limitPerHour: perHour });
      continue;
    }
    const mailFrom = await returnPath(deps, m, account.address);
    await deps.rules.sink.submit({
      id,
      mailFrom,
      recipients: m.recipients,
      openBody: async () =>
        Readable.from(assembleGeneratedBody(m, m.includesOriginal ? await msg.openBody() : undefined)),
    });
    log.info({
      event: 'rules.generated',
      kind: m.kind,
      rule: m.rule,
      id,
      mailFrom,
      to: m.recipients,
      via: deps.rules.sink.mode,
    });
  }
}
