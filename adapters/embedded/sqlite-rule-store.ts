/**
 * RuleStore on SQLite (in directory.db): one row per rule set, keyed "cluster",
 * "domain:<name>" or "account:<address>" (lower-cased), the rules as JSON. Writes validate with
 * core/rules for the set's scope first, so only valid sets are ever stored; reads validate again.
 * Failure: RuleSetError for invalid rules (nothing written); SQLite faults propagate.
 */

import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { RuleSetRef, RuleStore } from '../../core/ports/rule-store.ts';
import { type Rule, requireValidRuleSet } from '../../core/rules/index.ts';
import { type Db, migrate } from './sqlite.ts';

const MIGRATIONS = [
  `CREATE TABLE rule_sets (
     scope TEXT PRIMARY KEY,
     rules TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

export function ruleSetKey(ref: RuleSetRef): string {
  if (ref.kind === 'cluster') return 'cluster';
  return ref.kind === 'domain' ? `domain:${ref.name.toLowerCase()}` : `account:${ref.address.toLowerCase()}`;
}

export class SqliteRuleStore implements RuleStore {
  private readonly clock: Clock;
  private readonly stmt;

  constructor(db: Db, opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    migrate(db, 'rules', MIGRATIONS);
    this.stmt = {
      get: db.prepare<[string], string>('SELECT rules FROM rule_sets WHERE scope = ?').pluck(),
      put: db.prepare<[string, string, number]>(
        `INSERT INTO rule_sets (scope, rules, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(scope) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare<[string]>('DELETE FROM rule_sets WHERE scope = ?'),
    };
  }

  async get(ref: RuleSetRef): Promise<Rule[]> {
    const json = this.stmt.get.get(ruleSetKey(ref));
    if (json === undefined) return [];
    return [...requireValidRuleSet(JSON.parse(json), { scope: ref.kind })];
  }

  async set(ref: RuleSetRef, rules: readonly Rule[]): Promise<void> {
    const valid = requireValidRuleSet(rules, { scope: ref.kind });
    const key = ruleSetKey(ref);
    if (valid.length === 0) this.stmt.remove.run(key);
    else this.stmt.put.run(key, JSON.stringify(valid), this.clock.now());
  }
}
