/**
 * `strato rules test <account> <message>`: a dry run of the account's domain and account rules
 * on a message file (core/admin/rules-dry-run.ts), explained step by step or, with --json, as the
 * plan. Nothing is delivered, stored or sent. Bad options or an unreadable file exit 2 before the
 * data dir is opened; an unknown account exits 1.
 */
import type { Command } from 'commander';
import { dryRunRules, MESSAGE_SOURCES } from '../../core/admin/rules-dry-run.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import * as parse from '../parse.ts';

const SOURCES = MESSAGE_SOURCES;

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

async function dryRun(ctx: CliContext, accountInput: string, file: string, opts: TestOptions): Promise<void> {
  const address = parse.address(accountInput, 'account address');
  const source = sourceOption(opts.source);
  const rcpt = opts.rcpt ? parse.address(opts.rcpt, 'recipient') : address;
  const at = evaluationTime(opts.at);
  if (opts.from !== undefined && opts.from !== '<>' && opts.from !== '') parse.address(opts.from, 'sender');
  const message = await parse.readFileArg(file);
  const storage = await ctx.storage();
  const { plan, explanation } = await dryRunRules(storage, {
    account: address,
    message,
    source,
    rcpt,
    at,
    ...(opts.from !== undefined ? { from: opts.from } : {}),
  });
  ctx.out.result(plan, () => ctx.out.text(explanation));
}
