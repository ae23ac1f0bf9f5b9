/**
 * AutoReplyMemory on DynamoDB (the coordination table): one item per (account, sender),
 * pk "autoreply#<account>", sk "<sender>", holding when the last automatic reply went out. A claim
 * is ONE conditional write (no reply within the period, or none at all), so of two backends
 * claiming at once only one wins. A TTL deletes items a year after the reply.
 * Failure: SDK errors other than the lost condition propagate (the delivery is then retried).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { AutoReplyMemory } from '../../core/rules/index.ts';
import type { DynamoTarget } from './dynamo-support.ts';
import { TTL_ATTRIBUTE } from './dynamo-tables.ts';

/** Vacation periods are at most 365 days: older items decide nothing. */
const KEEP_SECONDS = 366 * 86_400;

export class DynamoAutoReplyMemory implements AutoReplyMemory {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async claim(account: string, sender: string, periodMs: number): Promise<boolean> {
    const now = this.clock.now();
    try {
      await this.target.client.send(
        new PutCommand({
          TableName: this.target.tableName,
          Item: {
            pk: `autoreply#${account.toLowerCase()}`,
            sk: sender.toLowerCase(),
            repliedAt: now,
            [TTL_ATTRIBUTE]: Math.floor(now / 1000) + KEEP_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR repliedAt <= :since',
          ExpressionAttributeValues: { ':since': now - periodMs },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}
