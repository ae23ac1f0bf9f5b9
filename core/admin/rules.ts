/**
 * Rule-set use cases shared by the CLI and the admin API: get and replace the cluster's, a
 * domain's or an account's rule set (validated with core/rules for the scope; nothing is stored
 * when a rule is wrong). The dry run of rules on a pasted message is in rules-dry-run.ts.
 * A bad scope or name → InvalidInputError; an invalid rule set → RuleSetInvalidError (an
 * InvalidInputError on `rules` listing every problem, naming rule and field); an unknown domain
 * or account → NotFoundAdminError. Storage faults propagate.
 */
import { parseDomain } from '../mail/address.ts';
import { describeRuleSet, type RuleSetRef } from '../ports/rule-store.ts';
import type { Storage } from '../ports/storage.ts';
import { parseRuleSetJson, type Rule, type RuleScope, validateRuleSet } from '../rules/index.ts';
import { requireAccount, requireDomain, validAddress } from './directory-input.ts';
import { InvalidInputError } from './errors.ts';

export const RULE_SCOPES: readonly RuleScope[] = ['cluster', 'domain', 'account'];

/** The rule set is invalid; `problems` has one line per problem (rule and field named). */
export class RuleSetInvalidError extends InvalidInputError {
  constructor(readonly problems: readonly string[]) {
    super('rules', `invalid rule set: ${problems.length} problem(s): ${problems.join('; ')}`);
  }
}

/** Which rule set: `name` is the domain or the account address, absent for the cluster. */
export interface RuleSetTarget {
  readonly scope: string;
  readonly name?: string;
}

export interface RuleSetView {
  /** "cluster", "domain example.com", "account alice@example.com". */
  readonly ruleSet: string;
  readonly scope: RuleScope;
  readonly name?: string;
  readonly rules: Rule[];
}

/** The rule set meant, validated (no storage read). */
export function ruleSetRef(input: RuleSetTarget): RuleSetRef {
  const scope = RULE_SCOPES.find((s) => s === input.scope?.toLowerCase());
  if (!scope) {
    throw new InvalidInputError(
      'scope',
      `invalid scope "${input.scope}": expected one of ${RULE_SCOPES.join(', ')}`,
    );
  }
  const name = input.name;
  if (scope === 'cluster') {
    if (name !== undefined)
      throw new InvalidInputError('name', `the cluster rule set takes no name (got "${name}")`);
    return { kind: 'cluster' };
  }
  if (name === undefined) throw new InvalidInputError('name', `give the ${scope} whose rule set is meant`);
  if (scope === 'account') return { kind: 'account', address: validAddress(name, 'name', 'account address') };
  const parsed = parseDomain(name);
  if (!parsed.ok) throw new InvalidInputError('name', `invalid domain "${name}": ${parsed.reason}`);
  return { kind: 'domain', name: parsed.value };
}

/**
 * The rules of `rules` (a JSON value: an array of rules) or of `text` (JSON text, as a file
 * holds it), validated for the scope; RuleSetInvalidError otherwise. Pure: a front end may call
 * it before it opens storage.
 */
export function validRules(
  ref: RuleSetRef,
  input: { readonly rules?: unknown; readonly text?: string },
): Rule[] {
  if ((input.rules === undefined) === (input.text === undefined)) {
    throw new InvalidInputError('rules', 'give the rule set either as JSON (rules) or as text, not both');
  }
  const result =
    input.text !== undefined
      ? parseRuleSetJson(input.text, { scope: ref.kind })
      : validateRuleSet(input.rules, { scope: ref.kind });
  if (!result.ok) throw new RuleSetInvalidError(result.problems);
  return [...result.rules];
}

type Deps = Pick<Storage, 'directory' | 'rules'>;

export async function getRuleSet(deps: Deps, input: RuleSetTarget): Promise<RuleSetView> {
  const ref = ruleSetRef(input);
  await requireOwner(deps, ref);
  return view(ref, await deps.rules.get(ref));
}

export interface SetRuleSetInput extends RuleSetTarget {
  /** The rule set as a JSON value ([] removes it)… */
  readonly rules?: unknown;
  /** …or as JSON text (exactly one of the two). */
  readonly text?: string;
}

/** Replaces the rule set (validated first; [] removes it). */
export async function setRuleSet(deps: Deps, input: SetRuleSetInput): Promise<RuleSetView> {
  const ref = ruleSetRef(input);
  const rules = validRules(ref, input);
  await requireOwner(deps, ref);
  await deps.rules.set(ref, rules);
  return view(ref, rules);
}

/** A domain's or account's rule set exists only while the domain or account does. */
export async function requireOwner(deps: Pick<Storage, 'directory'>, ref: RuleSetRef): Promise<void> {
  if (ref.kind === 'domain') await requireDomain(deps.directory, ref.name);
  if (ref.kind === 'account') await requireAccount(deps.directory, ref.address);
}

function view(ref: RuleSetRef, rules: readonly Rule[]): RuleSetView {
  return {
    ruleSet: describeRuleSet(ref),
    scope: ref.kind,
    ...(ref.kind === 'domain' ? { name: ref.name } : ref.kind === 'account' ? { name: ref.address } : {}),
    rules: [...rules],
  };
}
