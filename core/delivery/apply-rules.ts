/**
 * Domain then account rules at delivery, for one recipient (deliver-to-accounts calls this),
 * through the rules runner (rules-runner/run-rules.ts): `planDelivery` evaluates both sets (owner =
 * the account with its aliases from the directory, recipients = this recipient) into the plan the delivery applies; `sendGenerated`,
 * called once the copy is stored, sends what the plan generated — redirects, forwards, mirrors,
 * replies and granted vacation replies — through the GeneratedMailSink under ids derived from the
 * delivery, within the account's hourly limit, with an SRS return path for redirects leaving the
 * cluster. Storage and sink faults reject (the delivery is retried).
 */
import type { Readable } from 'node:stream';
import type { MessageSource } from '../mail/message-source.ts';
import type { Clock } from '../ports/clock.ts';
import type { Counters } from '../ports/counters.ts';
import type { AccountRecord, DirectoryReader } from '../ports/directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { RuleStore } from '../ports/rule-store.ts';
import type { AutoReplyMemory, RulesPlan } from '../rules/index.ts';
import type { GeneratedMailSink } from '../rules-runner/generated-mail-sink.ts';
import { srsReturnPath } from '../rules-runner/return-path.ts';
import {
  evaluateRuleSets,
  type GenerationRun,
  INBOX_PLAN,
  type RunnerDeps,
  submitGenerated,
} from '../rules-runner/run-rules.ts';

export { INBOX_PLAN };

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
  /** Received headers before generation counts as a loop (default: DEFAULT_RULES_HOP_LIMIT). */
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

function runnerDeps(deps: ApplyRulesDeps): RunnerDeps {
  const { store, autoReplies } = deps.rules;
  return { store, autoReplies, clock: deps.clock, logger: deps.logger };
}

/**
 * The account's rules on this message; every log line names the delivery and the account. The
 * owner's aliases come from the directory (when a directory is given), so an auto-reply answers
 * mail addressed To/Cc any of them.
 */
function accountRun(msg: RulesMessage, account: AccountRecord, directory?: DirectoryReader): GenerationRun {
  return {
    subject: msg,
    owner: {
      address: account.address,
      ...(account.realName ? { name: account.realName } : {}),
      ...(directory ? { aliases: () => directory.aliasesOf(account.address) } : {}),
    },
    logFields: { queueId: msg.deliveryId, account: account.address },
  };
}

export async function planDelivery(
  deps: ApplyRulesDeps,
  msg: RulesMessage,
  account: AccountRecord,
  rcpt: string,
): Promise<RulesPlan> {
  const { receivedLimit } = deps.rules;
  return evaluateRuleSets(runnerDeps(deps), {
    ...accountRun(msg, account, deps.directory),
    sets: [
      { kind: 'domain', name: account.domain },
      { kind: 'account', address: account.address },
    ],
    recipients: [rcpt],
    ...(receivedLimit !== undefined ? { receivedLimit } : {}),
  });
}

export async function sendGenerated(
  deps: ApplyRulesDeps,
  msg: RulesMessage,
  account: AccountRecord,
  plan: RulesPlan,
): Promise<void> {
  const { counters, sink, srsSecret, generatedPerHour } = deps.rules;
  await submitGenerated(runnerDeps(deps), accountRun(msg, account), plan, sink, {
    hourly: { counters, perHour: generatedPerHour ?? DEFAULT_GENERATED_PER_HOUR },
    returnPath: srsReturnPath(
      { directory: deps.directory, clock: deps.clock, ...(srsSecret ? { srsSecret } : {}) },
      account.address,
    ),
  });
}
