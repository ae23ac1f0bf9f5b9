/**
 * RuleStore on DynamoDB (the directory table): one item per rule set, pk "rules#cluster",
 * "rules#domain#<name>" or "rules#account#<address>", sk "rules", the rules as a JSON string.
 * Writes validate with core/rules for the scope first, so only valid sets are stored; reads
 * validate again. Failure: RuleSetError for invalid rules (nothing written); SDK errors propagate.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { RuleSetRef, RuleStore } from '../../core/ports/rule-store.ts';
import { type Rule, requireValidRuleSet } from '../../core/rules/index.ts';
import type { DynamoTarget } from './dynamo-support.ts';

export function ruleSetKey(ref: RuleSetRef): { pk: string; sk: string } {
  const scope =
    ref.kind === 'cluster'
      ? 'cluster'
      : ref.kind === 'domain'
        ? `domain#${ref.name.toLowerCase()}`
        : `account#${ref.address.toLowerCase()}`;
  return { pk: `rules#${scope}`, sk: 'rules' };
}

export class DynamoRuleStore implements RuleStore {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async get(ref: RuleSetRef): Promise<Rule[]> {
    const res = await this.target.client.send(
      new GetCommand({ TableName: this.target.tableName, Key: ruleSetKey(ref), ConsistentRead: true }),
    );
    const json = res.Item?.rules;
    if (typeof json !== 'string') return [];
    return [...requireValidRuleSet(JSON.parse(json), { scope: ref.kind })];
  }

  async set(ref: RuleSetRef, rules: readonly Rule[]): Promise<void> {
    const valid = requireValidRuleSet(rules, { scope: ref.kind });
    const Key = ruleSetKey(ref);
    if (valid.length === 0) {
      await this.target.client.send(new DeleteCommand({ TableName: this.target.tableName, Key }));
      return;
    }
    await this.target.client.send(
      new PutCommand({
        TableName: this.target.tableName,
        Item: { ...Key, rules: JSON.stringify(valid), updatedAt: this.clock.now() },
      }),
    );
  }
}
