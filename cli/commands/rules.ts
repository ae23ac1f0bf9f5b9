/**
 * `strato rules get|set|test`: the cluster's, a domain's or an account's rule set as JSON (the
 * format is in README "Rules"), replaced from a file or stdin after validation, and a dry run that
 * explains which domain and account rules match a message and what each action would do, without
 * delivering, storing or sending anything. An invalid rule set prints one stderr line per problem
 * (naming rule and field) and exits 2; an unknown domain or account exits 1.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Command } from 'commander';
import { readHeaderBlock } from '../../core/mail/header-block.ts';
import type { MessageSource } from '../../core/mail/message-source.ts';
import { describeRuleSet, type RuleSetRef } from '../../core/ports/rule-store.ts';
import type { Storage } from '../../core/ports/storage.ts';
import {
  evaluateRules,
  explainEvaluation,
  type HeaderList,
  parseHeaderBlock,
  parseRuleSetJson,
  type RuleScope,
} from '../../core/rules/index.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import * as parse from '../parse.ts';
import { requireAccount } from './account.ts';
import { requireDomain } from './domain.ts';

const SCOPES: readonly RuleScope[] = ['cluster', 'domain', 'account'];
const SOURCES: readonly MessageSource[] = ['SMTP', 'SUBMIT', 'RULE', 'DSN', 'CLI'];

/** `<scope> [name]` as a rule-set reference; the name is required for domain and account. */
function ruleSetRef(scopeInput: string, name: string | undefined): RuleSetRef {
  const scope = parse.oneOf(scopeInput, SCOPES, 'scope');
  if (scope === 'cluster') {
    if (name !== undefined) throw new UsageError(`the cluster rule set takes no name (got "${name}")`);
    return { kind: 'cluster' };
  }
  if (name === undefined) throw new UsageError(`give the ${scope}: strato rules <command> ${scope} <name>`);
  return scope === 'domain'
    ? { kind: 'domain', name: parse.domain(name) }
    : { kind: 'account', address: parse.address(name, 'account address') };
}

async function requireOwner(storage: Storage, ref: RuleSetRef): Promise<void> {
  if (ref.kind === 'domain') await requireDomain(storage, ref.name);
  if (ref.kind === 'account') await requireAccount(storage, ref.address);
}

async function readInput(file: string, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  if (file !== '-') {
    return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
  }
  let text = '';
  for await (const chunk of stdin) text += chunk.toString('utf8');
  return text;
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

interface TestOptions {
  from?: string;
  source: string;
  rcpt?: string;
  at?: string;
}

export function registerRules(program: Command, ctx: CliContext): void {
  const rules = program
    .command('rules')
    .description(
      'the cluster, domain and account rule sets (JSON, see README "Rules"): show, replace, dry-run',
    );

  rules
    .command('get')
    .description('print a rule set as JSON ([] when none is stored)')
    .argument('<scope>', 'cluster, domain or account')
    .argument('[name]', 'the domain or account address (not for cluster)')
    .action(async (scopeInput: string, name: string | undefined) => {
      const ref = ruleSetRef(scopeInput, name);
      const storage = await ctx.storage();
      await requireOwner(storage, ref);
      ctx.out.line(JSON.stringify(await storage.rules.get(ref), null, 2));
    });

  rules
    .command('set')
    .description('replace a rule set from a JSON file ("-" reads stdin; [] removes it), validated first')
    .argument('<scope>', 'cluster, domain or account')
    .argument('<args...>', 'for domain and account: the name, then the file; for cluster: the file')
    .action(async (scopeInput: string, args: string[]) => {
      const scope = parse.oneOf(scopeInput, SCOPES, 'scope');
      const wanted = scope === 'cluster' ? 1 : 2;
      if (args.length !== wanted) {
        throw new UsageError(
          scope === 'cluster'
            ? 'usage: strato rules set cluster <file.json|->'
            : `usage: strato rules set ${scope} <name> <file.json|->`,
        );
      }
      const ref = ruleSetRef(scope, scope === 'cluster' ? undefined : args[0]);
      const file = args[wanted - 1]!;
      const result = parseRuleSetJson(await readInput(file, ctx.io.stdin), { scope: ref.kind });
      if (!result.ok) {
        for (const problem of result.problems) ctx.io.stderr.write(`strato: ${problem}\n`);
        throw new UsageError(
          `${file === '-' ? 'stdin' : file}: ${result.problems.length} problem(s); the ${describeRuleSet(ref)} rule set was not changed`,
        );
      }
      const storage = await ctx.storage();
      await requireOwner(storage, ref);
      await storage.rules.set(ref, result.rules);
      const names = result.rules.map((r) => r.name);
      ctx.out.result({ ruleSet: describeRuleSet(ref), rules: names }, () =>
        ctx.out.line(
          names.length === 0
            ? `${describeRuleSet(ref)}: rule set removed`
            : `${describeRuleSet(ref)}: ${names.length} rule(s) stored (${names.map((n) => `"${n}"`).join(', ')})`,
        ),
      );
    });

  rules
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
    .action(async (accountInput: string, file: string, opts: TestOptions) => {
      const address = parse.address(accountInput, 'account address');
      const source = parse.oneOf(
        opts.source.toLowerCase(),
        SOURCES.map((s) => s.toLowerCase()),
        'source',
      );
      const rcpt = opts.rcpt ? parse.address(opts.rcpt, 'recipient') : address;
      const at = opts.at === undefined ? Date.now() : Date.parse(opts.at);
      if (Number.isNaN(at)) throw new UsageError(`invalid time "${opts.at}": expected ISO 8601`);
      const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      });
      const headers = parseHeaderBlock(await readHeaderBlock(Readable.from([bytes])));
      const mailFrom = senderOf(headers, opts.from);
      const storage = await ctx.storage();
      const account = await requireAccount(storage, address);
      const [domainRules, accountRules] = await Promise.all([
        storage.rules.get({ kind: 'domain', name: account.domain }),
        storage.rules.get({ kind: 'account', address: account.address }),
      ]);
      const view = {
        mailFrom,
        recipients: [rcpt],
        source: source.toUpperCase() as MessageSource,
        headers,
        size: bytes.length,
      };
      const evaluation = {
        owner: account.address,
        ...(account.realName ? { ownerName: account.realName } : {}),
        now: new Date(at),
        deliveryId: 'dry-run',
      };
      const plan = evaluateRules(
        [
          { scope: 'domain', rules: domainRules },
          { scope: 'account', rules: accountRules },
        ],
        view,
        evaluation,
      );
      ctx.out.result(
        {
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
        },
        () => ctx.out.text(explainEvaluation(plan, view, evaluation)),
      );
    });
}
