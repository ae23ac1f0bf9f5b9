/** RuleStore and AutoReplyMemory contracts on DynamoDB (DynamoDB Local). */
import { autoReplyMemoryContract } from '../contract/auto-reply-memory.contract.ts';
import { ruleStoreContract } from '../contract/rule-store.contract.ts';
import { DynamoAutoReplyMemory } from './dynamo-auto-reply-memory.ts';
import { DynamoRuleStore } from './dynamo-rule-store.ts';
import { suiteTables, wallClockTestClock } from './dynamo-test-support.ts';

const db = suiteTables();

ruleStoreContract('DynamoDB', async () => {
  await db.fresh();
  return {
    rules: new DynamoRuleStore({ client: db.client, tableName: db.names.directory }),
    cleanup: async () => {},
  };
});

autoReplyMemoryContract('DynamoDB', async () => {
  await db.fresh();
  // Reply memory carries a TTL a year on: a clock in the past would let DynamoDB Local delete it.
  const clock = wallClockTestClock();
  return {
    memory: new DynamoAutoReplyMemory({ client: db.client, tableName: db.names.coordination }, { clock }),
    clock,
    cleanup: async () => {},
  };
});
