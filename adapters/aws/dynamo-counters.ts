/**
 * Counters on DynamoDB: one coordination-table item per (key, window length, window start) with
 * the window taken from the injected clock; add is an atomic ADD, tryConsume an ADD whose condition
 * refuses to pass the limit (one UpdateItem either way). Items carry a TTL an hour after their
 * window ends, so DynamoDB deletes old windows. Failure: a refusal is a value (allowed: false, with
 * the count from the refused write's ALL_OLD); a bad window or amount throws RangeError; SDK faults propagate.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import type { ConsumeResult, Counters } from '../../core/ports/counters.ts';
import { conditionFailure, type DynamoTarget, rawNumber } from './dynamo-support.ts';
import { TTL_ATTRIBUTE } from './dynamo-tables.ts';

/** Ended windows stay readable this long before TTL may remove them (as the embedded sweep). */
const KEEP_ENDED_MS = 60 * 60 * 1000;

interface Window {
  readonly key: { pk: string; sk: string };
  readonly end: number;
}

export class DynamoCounters implements Counters {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async tryConsume(key: string, windowSeconds: number, limit: number, amount = 1): Promise<ConsumeResult> {
    checkAmount(amount);
    const w = this.window(key, windowSeconds);
    // Nothing can fit: refuse without creating the window (and without a write).
    if (amount > limit) return { allowed: false, count: await this.read(w), resetAt: w.end };
    try {
      return { allowed: true, count: await this.bump(w, amount, limit - amount), resetAt: w.end };
    } catch (err) {
      const failed = conditionFailure(err);
      if (!failed) throw err;
      return { allowed: false, count: rawNumber(failed.item, 'c') ?? 0, resetAt: w.end };
    }
  }

  async add(key: string, windowSeconds: number, amount = 1): Promise<number> {
    checkAmount(amount);
    return this.bump(this.window(key, windowSeconds), amount);
  }

  async peek(key: string, windowSeconds: number): Promise<number> {
    return this.read(this.window(key, windowSeconds));
  }

  /** ADD to the window's count, refused (ConditionalCheckFailed) if the count is above `ceiling`. */
  private async bump(w: Window, amount: number, ceiling?: number): Promise<number> {
    const r = await this.target.client.send(
      new UpdateCommand({
        TableName: this.target.tableName,
        Key: w.key,
        UpdateExpression: 'ADD #c :amount SET #ttl = :ttl',
        ExpressionAttributeNames: { '#c': 'c', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':amount': amount,
          ':ttl': Math.ceil((w.end + KEEP_ENDED_MS) / 1000),
          ...(ceiling !== undefined && { ':ceiling': ceiling }),
        },
        ...(ceiling !== undefined && {
          ConditionExpression: 'attribute_not_exists(#c) OR #c <= :ceiling',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(r.Attributes?.c ?? 0);
  }

  private async read(w: Window): Promise<number> {
    const r = await this.target.client.send(
      new GetCommand({
        TableName: this.target.tableName,
        Key: w.key,
        ConsistentRead: true,
        ProjectionExpression: '#c',
        ExpressionAttributeNames: { '#c': 'c' },
      }),
    );
    return Number(r.Item?.c ?? 0);
  }

  private window(key: string, windowSeconds: number): Window {
    if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError(`counter window ${windowSeconds}s must be a positive whole number of seconds`);
    }
    const length = windowSeconds * 1000;
    const start = Math.floor(this.clock.now() / length) * length;
    return { key: counterKey(key, windowSeconds, start), end: start + length };
  }
}

export function counterKey(
  key: string,
  windowSeconds: number,
  windowStart: number,
): { pk: string; sk: string } {
  return { pk: `counter#${key}`, sk: `${windowSeconds}#${windowStart}` };
}

function checkAmount(amount: number): void {
  if (!Number.isFinite(amount) || amount < 0) throw new RangeError(`counter amount ${amount} must be >= 0`);
}
