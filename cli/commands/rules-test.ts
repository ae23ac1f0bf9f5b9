/**
 * `strato rules test <account> <message>`: a dry run of the account's domain and account rules
 * on a message file, explained step by step (core/rules explainEvaluation) or, with --json, as the
 * plan. Nothing is delivered, stored or sent. Bad options or an unreadable file exit 2 before the
 * data dir is opened; an unknown account exits 1.
 */
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { readHeaderBlock } from '../../core/mail/header-block.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import type { AccountRecord } from '../../core/ports/directory.ts';
import type { Storage } from '../../core/ports/storage.ts';
import {
  type EvaluationContext,
  evaluateRules,
  explainEvaluation,
  type HeaderList,
  type MessageView,
  parseHeaderBlock,
  type RulesPlan,
} from '../../core/rules/index.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import * as parse from '../parse.ts';
import { requireAccount } from './lookups.ts';

const SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

interface TestOptions {
  from?: string;
  source: string;
  rcpt?: string;
  at?: string;
}

export function rulesTest(group: Command, ctx: CliContext): void {
  group
    .command('test')
    .description(
      "dry run: evaluate the account's domain and account rules on a message file and explain the result; nothing is delivered, stored or sent",
    )
    .argument('<account>', 'account address, e.g. alice@example.com')
    .argument('<message>', 'the message file (.eml, RFC 5322)')
    .option('--from <address>', 'envelope sender (default: Return-Path, else From; "<>" for none)')
    .option('--source <source>', `message source: ${SOURCES.join(', ')}`, 'SMTP')
    .option('--rcpt <address>', 'envelope recipient as the account received it (default: the account)')
    .option('--at <time>', 'evaluate at this time (ISO 8601, e.g. 2025-04-03T09:00:00Z; default: now)')
    .action((accountInput: string, file: string, opts: TestOptions) => dryRun(ctx, accountInput, file, opts));
}

/** The envelope sender a dry run assumes: --from, else Return-Path, else the From address. */
function senderOf(headers: HeaderList, given: string | undefined): string {
  if (given !== undefined) return given === '<>' || given === '' ? '' : parse.address(given, 'sender');
  for (const field of ['Return-Path', 'From']) {
    const value = headers.find(([n]) => n.toLowerCase() === field.toLowerCase())?.[1];
    const m = value === undefined ? undefined : (/<([^<>]*)>/.exec(value)?.[1] ?? value.trim());
    if (m === '') return '';
    if (m !== undefined) return parse.address(m, `${field} address`);
  }
  return '';
}

/** --source as given in any case, in the spelling MessageSource uses. */
function sourceOption(input: string): MessageSource {
  const lower = SOURCES.map((s) => s.toLowerCase());
  return parse.oneOf(input.toLowerCase(), lower, 'source').toUpperCase() as MessageSource;
}

/** --at as ms since the epoch (now when absent). */
function evaluationTime(at: string | undefined): number {
  const time = at === undefined ? Date.now() : Date.parse(at);
  if (Number.isNaN(time)) throw new UsageError(`invalid time "${at}": expected ISO 8601`);
  return time;
}

/** The message as the rules see it: the file's headers and size with the envelope assumed. */
async function messageView(
  file: string,
  envelope: { source: MessageSource; rcpt: string; from: string | undefined },
): Promise<MessageView> {
  const bytes = await parse.readFileArg(file);
  const headers = parseHeaderBlock(await readHeaderBlock(Readable.from([bytes])));
  return {
    mailFrom: senderOf(headers, envelope.from),
    recipients: [envelope.rcpt],
    source: envelope.source,
    headers,
    size: bytes.length,
  };
}

async function dryRun(ctx: CliContext, accountInput: string, file: string, opts: TestOptions): Promise<void> {
  const address = parse.address(accountInput, 'account address');
  const source = sourceOption(opts.source);
  const rcpt = opts.rcpt ? parse.address(opts.rcpt, 'recipient') : address;
  const at = evaluationTime(opts.at);
  const view = await messageView(file, { source, rcpt, from: opts.from });
  const storage = await ctx.storage();
  const account = await requireAccount(storage, address);
  // As at delivery: a To/Cc naming one of the account's aliases lets an auto-reply answer.
  const aliases = await storage.directory.aliasesOf(account.address);
  const evaluation: EvaluationContext = {
    owner: account.address,
    ...(account.realName ? { ownerName: account.realName } : {}),
    ...(aliases.length > 0 ? { ownerAliases: aliases } : {}),
    now: new Date(at),
    deliveryId: 'dry-run',
  };
  const plan = await evaluateAccountRules(storage, account, view, evaluation);
  ctx.out.result(planJson(account, plan), () => ctx.out.text(explainEvaluation(plan, view, evaluation)));
}

/** The domain's rules, then the account's, as delivery runs them. */
async function evaluateAccountRules(
  storage: Storage,
  account: AccountRecord,
  view: MessageView,
  evaluation: EvaluationContext,
): Promise<RulesPlan> {
  const [domainRules, accountRules] = await Promise.all([
    storage.rules.get({ kind: 'domain', name: account.domain }),
    storage.rules.get({ kind: 'account', address: account.address }),
  ]);
  const sets = [
    { scope: 'domain', rules: domainRules },
    { scope: 'account', rules: accountRules },
  ] as const;
  return evaluateRules(sets, view, evaluation);
}

/** The plan for --json: generated messages without their bodies. */
function planJson(account: AccountRecord, plan: RulesPlan) {
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
