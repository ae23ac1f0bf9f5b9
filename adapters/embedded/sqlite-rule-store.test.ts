/** RuleStore contract on SQLite, plus sharing between two handles and stored data that no longer validates. */
import { describe, expect, it } from 'vitest';
import { RuleSetError } from '../../core/rules/index.ts';
import { ruleStoreContract } from '../contract/rule-store.contract.ts';
import { openDatabase } from './sqlite.ts';
import { tempStorage } from './test-support.ts';

ruleStoreContract('embedded SQLite', async () => {
  const t = await tempStorage();
  return { rules: t.storage.rules, cleanup: t.cleanup };
});

describe('SqliteRuleStore (embedded specifics)', () => {
  it('shares rule sets between two handles on one data dir', async () => {
    const t = await tempStorage();
    try {
      const other = await t.reopen();
      const rule = {
        name: 'r',
        priority: 1 as const,
        conditions: [],
        actions: [{ action: 'discard' as const }],
      };
      await t.storage.rules.set({ kind: 'account', address: 'alice@example.com' }, [rule]);
      expect(await other.rules.get({ kind: 'account', address: 'alice@example.com' })).toEqual([rule]);
    } finally {
      await t.cleanup();
    }
  });

  it('reports a stored set that no longer validates as RuleSetError', async () => {
    const t = await tempStorage();
    try {
      const db = openDatabase(`${t.dir}/directory.db`);
      db.prepare('INSERT INTO rule_sets (scope, rules, updated_at) VALUES (?, ?, 0)').run(
        'account:alice@example.com',
        JSON.stringify([{ name: 'old', priority: 1, actions: [{ action: 'teleport' }] }]),
      );
      db.close();
      const err = await t.storage.rules
        .get({ kind: 'account', address: 'alice@example.com' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RuleSetError);
    } finally {
      await t.cleanup();
    }
  });
});
