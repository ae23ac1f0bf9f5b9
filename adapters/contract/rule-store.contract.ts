/**
 * RuleStore contract: an absent set reads as [], sets round-trip per scope (cluster, domain,
 * account; names case-insensitive) and are independent, set replaces and [] deletes, and an
 * invalid set is refused with RuleSetError naming rule and field while the stored set stays.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleSetRef, RuleStore } from '../../core/ports/rule-store.ts';
import { type Rule, RuleSetError } from '../../core/rules/index.ts';

export interface RuleStoreFixture {
  readonly rules: RuleStore;
  cleanup(): Promise<void>;
}

const CLUSTER: RuleSetRef = { kind: 'cluster' };
const DOMAIN: RuleSetRef = { kind: 'domain', name: 'example.com' };
const ACCOUNT: RuleSetRef = { kind: 'account', address: 'alice@example.com' };

const junk: Rule = {
  name: 'Spam to Junk',
  priority: 'highest',
  conditions: [{ field: 'Header Field', header: 'X-Spam-Flag', op: 'is', value: 'YES' }],
  actions: [{ action: 'store', folder: 'Junk' }, { action: 'stop' }],
};
const tag: Rule = {
  name: 'Tag external',
  priority: 5,
  conditions: [{ field: 'Source', op: 'is', value: 'SMTP' }],
  actions: [{ action: 'tag subject', tag: '[EXT]' }],
};
const hold: Rule = {
  name: 'Legal hold',
  priority: 9,
  conditions: [{ field: 'Any Recipient', op: 'is', value: 'ceo@example.com' }],
  actions: [{ action: 'mirror', to: ['archive@example.com'] }],
};

export function ruleStoreContract(name: string, make: () => Promise<RuleStoreFixture>): void {
  describe(`RuleStore contract: ${name}`, () => {
    let fx: RuleStoreFixture;
    let store: RuleStore;
    beforeEach(async () => {
      fx = await make();
      store = fx.rules;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('reads an absent set as empty', async () => {
      expect(await store.get(CLUSTER)).toEqual([]);
      expect(await store.get(DOMAIN)).toEqual([]);
      expect(await store.get(ACCOUNT)).toEqual([]);
    });

    it('round-trips each scope independently, names case-insensitive', async () => {
      await store.set(ACCOUNT, [junk, tag]);
      await store.set(DOMAIN, [tag]);
      await store.set(CLUSTER, [hold]);
      expect(await store.get({ kind: 'account', address: 'Alice@Example.COM' })).toEqual([junk, tag]);
      expect(await store.get({ kind: 'domain', name: 'EXAMPLE.com' })).toEqual([tag]);
      expect(await store.get(CLUSTER)).toEqual([hold]);
      expect(await store.get({ kind: 'account', address: 'bob@example.com' })).toEqual([]);
      expect(await store.get({ kind: 'domain', name: 'example.org' })).toEqual([]);
    });

    it('replaces a set, and an empty set deletes it', async () => {
      await store.set(ACCOUNT, [junk, tag]);
      await store.set(ACCOUNT, [tag]);
      expect(await store.get(ACCOUNT)).toEqual([tag]);
      await store.set(ACCOUNT, []);
      expect(await store.get(ACCOUNT)).toEqual([]);
    });

    it('stores the validated form (a missing condition list becomes [])', async () => {
      await store.set(ACCOUNT, [
        { name: 'all', priority: 1, actions: [{ action: 'stop' }] } as unknown as Rule,
      ]);
      expect(await store.get(ACCOUNT)).toEqual([
        { name: 'all', priority: 1, conditions: [], actions: [{ action: 'stop' }] },
      ]);
    });

    it('refuses an invalid set with every problem named, keeping the stored one', async () => {
      await store.set(ACCOUNT, [junk]);
      const bad = [tag, { name: 'away', priority: 5, actions: [{ action: 'vacation', text: 'x', days: 0 }] }];
      const err = await store.set(ACCOUNT, bad as unknown as Rule[]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuleSetError);
      expect((err as RuleSetError).problems).toEqual([
        'rule 1 ("away"): actions[0].days: expected a positive integer',
      ]);
      expect(await store.get(ACCOUNT)).toEqual([junk]);
    });

    it('refuses account-only actions in the cluster set', async () => {
      const err = await store.set(CLUSTER, [junk]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuleSetError);
      expect((err as RuleSetError).problems.join('\n')).toMatch(/rule 0 \("Spam to Junk"\).*store/);
      expect(await store.get(CLUSTER)).toEqual([]);
    });
  });
}
