/**
 * RuleStore port: the validated rule sets of the cluster, of each domain and of each account
 * (the cluster model keeps them in the directory). `set` validates with core/rules for the scope
 * and stores nothing when a rule is invalid (RuleSetError listing every problem); an empty set
 * removes the stored one. `get` answers [] for a scope without rules. Storage faults propagate.
 */
import type { Rule } from '../rules/model.ts';

/** Which rule set: the cluster's (run at enqueue), a domain's or an account's (run at delivery). */
export type RuleSetRef =
  | { readonly kind: 'cluster' }
  | { readonly kind: 'domain'; readonly name: string }
  | { readonly kind: 'account'; readonly address: string };

export interface RuleStore {
  /** The stored rules in their stored order; [] when none. RuleSetError when stored data no longer validates. */
  get(ref: RuleSetRef): Promise<Rule[]>;
  /** Validate (RuleSetError) and replace the set; [] deletes it. */
  set(ref: RuleSetRef, rules: readonly Rule[]): Promise<void>;
}

/** "cluster", "domain example.com", "account alice@example.com" (logs, CLI messages). */
export function describeRuleSet(ref: RuleSetRef): string {
  if (ref.kind === 'cluster') return 'cluster';
  return ref.kind === 'domain' ? `domain ${ref.name}` : `account ${ref.address}`;
}
