/**
 * The dry run of an account's rules on a pasted raw message, shared by `strato rules test` and
 * the admin API: the domain's rules then the account's, as delivery runs them, explained step by
 * step (core/rules explainEvaluation) and as a JSON plan. Nothing is delivered, stored or sent.
 * Bad input → InvalidInputError naming the field (account, message, from, source, rcpt, at); an
 * unknown account → NotFoundAdminError. Storage faults propagate.
 */
import { Readable } from 'node:stream';
import { readHeaderBlock } from '../mail/header-block.ts';
import type { MessageSource } from '../mail/message-source.ts';
import type { AccountRecord } from '../ports/directory.ts';
import type { Storage } from '../ports/storage.ts';
import {
  type EvaluationContext,
  evaluateRules,
  explainEvaluation,
  type HeaderList,
  type MessageView,
  parseHeaderBlock,
  type RulesPlan,
} from '../rules/index.ts';
import { requireAccount, validAddress } from './directory-input.ts';
import { InvalidInputError } from './errors.ts';

export const MESSAGE_SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

/** The largest message a dry run takes (the rules read headers and size only). */
export const DRY_RUN_MAX_BYTES = 50 * 1024 * 1024;

export interface RulesDryRunInput {
  readonly account: string;
  /** The raw message (RFC 5322), as text or bytes. */
  readonly message: string | Uint8Array;
  /** Envelope sender; "" or "<>" for none; default: Return-Path, else From. */
  readonly from?: string;
  /** Default SMTP (any case). */
  readonly source?: string;
  /** Envelope recipient as the account received it; default: the account. */
  readonly rcpt?: string;
  /** Evaluation time: ISO 8601 text or ms since the epoch; default now. */
  readonly at?: string | number;
}

/** The plan as JSON: generated messages without their bodies. */
export interface RulesDryRunPlan {
  readonly account: string;
  readonly fate: RulesPlan['fate'];
  readonly flags: RulesPlan['flags'];
  readonly headerEdits: RulesPlan['headerEdits'];
  readonly messages: unknown[];
  readonly autoReplies: { kind: string; to: readonly string[]; claim: unknown }[];
  readonly loopBlocked: unknown;
  readonly trace: RulesPlan['trace'];
}

export interface RulesDryRunResult {
  readonly plan: RulesDryRunPlan;
  /** The step-by-step explanation an operator reads. */
  readonly explanation: string;
}

export async function dryRunRules(
  deps: Pick<Storage, 'directory' | 'rules'>,
  input: RulesDryRunInput,
): Promise<RulesDryRunResult> {
  const address = validAddress(input.account, 'account', 'account address');
  const source = validSource(input.source);
  const rcpt = input.rcpt !== undefined ? validAddress(input.rcpt, 'rcpt', 'recipient') : address;
  const at = validTime(input.at);
  const view = await messageView(input, source, rcpt);
  const account = await requireAccount(deps.directory, address);
  // As at delivery: a To/Cc naming one of the account's aliases lets an auto-reply answer.
  const aliases = await deps.directory.aliasesOf(account.address);
  const evaluation: EvaluationContext = {
    owner: account.address,
    ...(account.realName ? { ownerName: account.realName } : {}),
    ...(aliases.length > 0 ? { ownerAliases: aliases } : {}),
    now: new Date(at),
    deliveryId: 'dry-run',
  };
  const [domainRules, accountRules] = await Promise.all([
    deps.rules.get({ kind: 'domain', name: account.domain }),
    deps.rules.get({ kind: 'account', address: account.address }),
  ]);
  const sets = [
    { scope: 'domain', rules: domainRules },
    { scope: 'account', rules: accountRules },
  ] as const;
  const plan = evaluateRules(sets, view, evaluation);
  return { plan: planJson(account, plan), explanation: explainEvaluation(plan, view, evaluation) };
}

function validSource(input: string | undefined): MessageSource {
  if (input === undefined) return 'SMTP';
  const found = MESSAGE_SOURCES.find((s) => s === input.toUpperCase());
  if (!found) {
    const allowed = MESSAGE_SOURCES.map((s) => s.toLowerCase()).join(', ');
    throw new InvalidInputError('source', `invalid source "${input}": expected one of ${allowed}`);
  }
  return found;
}

function validTime(at: string | number | undefined): number {
  const time = at === undefined ? Date.now() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(time)) throw new InvalidInputError('at', `invalid time "${at}": expected ISO 8601`);
  return time;
}

/** The message as the rules see it: its headers and size with the envelope assumed. */
async function messageView(
  input: RulesDryRunInput,
  source: MessageSource,
  rcpt: string,
): Promise<MessageView> {
  const bytes =
    typeof input.message === 'string' ? Buffer.from(input.message, 'utf8') : Buffer.from(input.message);
  if (bytes.length > DRY_RUN_MAX_BYTES) {
    throw new InvalidInputError('message', `the message is larger than ${DRY_RUN_MAX_BYTES} bytes`);
  }
  const headers = parseHeaderBlock(await readHeaderBlock(Readable.from([bytes])));
  return { mailFrom: senderOf(headers, input.from), recipients: [rcpt], source, headers, size: bytes.length };
}

/** The envelope sender a dry run assumes: `from`, else Return-Path, else the From address. */
function senderOf(headers: HeaderList, given: string | undefined): string {
  if (given !== undefined) return given === '<>' || given === '' ? '' : validAddress(given, 'from', 'sender');
  for (const field of ['Return-Path', 'From']) {
    const value = headers.find(([n]) => n.toLowerCase() === field.toLowerCase())?.[1];
    const m = value === undefined ? undefined : (/<([^<>]*)>/.exec(value)?.[1] ?? value.trim());
    if (m === '') return '';
    if (m !== undefined) return validAddress(m, 'message', `${field} address`);
  }
  return '';
}

function planJson(account: AccountRecord, plan: RulesPlan): RulesDryRunPlan {
  return {
    account: account.address,
    fate: plan.fate,
    flags: plan.flags,
    headerEdits: plan.headerEdits,
    messages: plan.messages.map(({ head: _h, tail: _t, ...m }) => m),
    autoReplies: plan.autoReplies.map((r) => ({
      kind: r.message.kind,
      to: r.message.recipients,
      claim: r.claim ?? null,
    })),
    loopBlocked: plan.loopBlocked ?? null,
    trace: plan.trace,
  };
}
