/**
 * `strato rules get|set|test`: the cluster's, a domain's or an account's rule set as JSON (the
 * format is in README "Rules"), replaced from a file or stdin after validation, and a dry run that
 * explains which domain and account rules match a message and what each action would do, without
 * delivering, storing or sending anything (rules-test.ts). An invalid rule set prints one stderr
 * line per problem (naming rule and field) and exits 2; an unknown domain or account exits 1.
 */
import type { Command } from 'commander';
import {
  getRuleSet,
  RuleSetInvalidError,
  type RuleSetTarget,
  setRuleSet,
  validRules,
} from '../../core/admin/rules.ts';
import { describeRuleSet, type RuleSetRef } from '../../core/ports/rule-store.ts';
import type { Rule, RuleScope } from '../../core/rules/index.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import * as parse from '../parse.ts';
import { rulesTest } from './rules-test.ts';

const SCOPES: readonly RuleScope[] = ['cluster', 'domain', 'account'];

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

/** The use cases' form of a reference. */
function target(ref: RuleSetRef): RuleSetTarget {
  if (ref.kind === 'cluster') return { scope: 'cluster' };
  return ref.kind === 'domain'
    ? { scope: 'domain', name: ref.name }
    : { scope: 'account', name: ref.address };
}

/** The text of `file`, or of stdin for "-". */
async function readInput(file: string, stdin: AsyncIterable<Buffer | string>): Promise<string> {
  if (file !== '-') return (await parse.readFileArg(file)).toString('utf8');
  let text = '';
  for await (const chunk of stdin) text += chunk.toString('utf8');
  return text;
}

export function registerRules(program: Command, ctx: CliContext): void {
  const rules = program
    .command('rules')
    .description(
      'the cluster, domain and account rule sets (JSON, see README "Rules"): show, replace, dry-run',
    );
  rulesGet(rules, ctx);
  rulesSet(rules, ctx);
  rulesTest(rules, ctx);
}

function rulesGet(group: Command, ctx: CliContext): void {
  group
    .command('get')
    .description('print a rule set as JSON ([] when none is stored)')
    .argument('<scope>', 'cluster, domain or account')
    .argument('[name]', 'the domain or account address (not for cluster)')
    .action((scopeInput: string, name: string | undefined) => printRuleSet(ctx, scopeInput, name));
}

async function printRuleSet(ctx: CliContext, scopeInput: string, name: string | undefined): Promise<void> {
  const ref = ruleSetRef(scopeInput, name);
  const storage = await ctx.storage();
  ctx.out.line(JSON.stringify((await getRuleSet(storage, target(ref))).rules, null, 2));
}

function rulesSet(group: Command, ctx: CliContext): void {
  group
    .command('set')
    .description('replace a rule set from a JSON file ("-" reads stdin; [] removes it), validated first')
    .argument('<scope>', 'cluster, domain or account')
    .argument('<args...>', 'for domain and account: the name, then the file; for cluster: the file')
    .action((scopeInput: string, args: string[]) => replaceRuleSet(ctx, scopeInput, args));
}

/** `set <scope> [name] <file>`: the rule set meant and the file to read it from. */
function setTarget(scopeInput: string, args: string[]): { ref: RuleSetRef; file: string } {
  const scope = parse.oneOf(scopeInput, SCOPES, 'scope');
  const wanted = scope === 'cluster' ? 1 : 2;
  if (args.length !== wanted) {
    throw new UsageError(
      scope === 'cluster'
        ? 'usage: strato rules set cluster <file.json|->'
        : `usage: strato rules set ${scope} <name> <file.json|->`,
    );
  }
  return { ref: ruleSetRef(scope, scope === 'cluster' ? undefined : args[0]), file: args[wanted - 1]! };
}

async function replaceRuleSet(ctx: CliContext, scopeInput: string, args: string[]): Promise<void> {
  const { ref, file } = setTarget(scopeInput, args);
  let rules: Rule[];
  try {
    // Validated before the data dir is opened; the use case validates again.
    rules = validRules(ref, { text: await readInput(file, ctx.io.stdin) });
  } catch (err) {
    if (!(err instanceof RuleSetInvalidError)) throw err;
    for (const problem of err.problems) ctx.io.stderr.write(`strato: ${problem}\n`);
    throw new UsageError(
      `${file === '-' ? 'stdin' : file}: ${err.problems.length} problem(s); the ${describeRuleSet(ref)} rule set was not changed`,
    );
  }
  const storage = await ctx.storage();
  const stored = await setRuleSet(storage, { ...target(ref), rules });
  const names = stored.rules.map((r) => r.name);
  ctx.out.resultLine(
    { ruleSet: describeRuleSet(ref), rules: names },
    names.length === 0
      ? `${describeRuleSet(ref)}: rule set removed`
      : `${describeRuleSet(ref)}: ${names.length} rule(s) stored (${names.map((n) => `"${n}"`).join(', ')})`,
  );
}
