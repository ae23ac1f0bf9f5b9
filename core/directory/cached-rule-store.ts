/**
 * A read-through cache in front of a RuleStore: every delivery reads its domain's and account's
 * rule sets (and every enqueue the cluster's), which on DynamoDB are billed reads. Sets are
 * served for `ttlMs` (another process's change shows within that time); a `set` through this
 * instance clears the cache at once.
 */
import type { Clock } from '../ports/clock.ts';
import type { RuleSetRef, RuleStore } from '../ports/rule-store.ts';
import type { Rule } from '../rules/model.ts';
import { TtlCache } from '../util/ttl-cache.ts';

export class CachedRuleStore implements RuleStore {
  private readonly cache: TtlCache<Rule[]>;

  constructor(
    private readonly inner: RuleStore,
    clock: Clock,
    ttlMs: number,
  ) {
    this.cache = new TtlCache(clock, ttlMs);
  }

  get(ref: RuleSetRef): Promise<Rule[]> {
    const key = ref.kind === 'cluster' ? 'c' : ref.kind === 'domain' ? `d:${ref.name}` : `a:${ref.address}`;
    return this.cache.get(key, () => this.inner.get(ref));
  }

  async set(ref: RuleSetRef, rules: readonly Rule[]): Promise<void> {
    try {
      await this.inner.set(ref, rules);
    } finally {
      this.cache.clear();
    }
  }
}
