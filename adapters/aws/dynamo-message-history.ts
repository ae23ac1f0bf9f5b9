/**
 * Message history on DynamoDB (the history table, dynamo-tables.ts). One item per event,
 * pk "msg#<queue id>", sk "<at, 13 digits>#<writer>#<seq>" (a random writer id per instance and a
 * counter keep two processes' events at the same millisecond apart), the event as JSON. Lookup
 * items map a Message-ID (pk "mid#<id>") or an address (pk "addr#<address>") to queue ids, sk
 * "<at>#<queue id>", so every lookup is one Query, newest first, and nothing is scanned. Every
 * item carries `ttl` (epoch seconds, written at + retention); reads skip items past it, since
 * DynamoDB deletes expired items only eventually. Writes go out as BatchWriteItem of up to 25
 * items, unprocessed items retried a few times.
 * Failure: SDK errors, and items still unprocessed after the retries, reject (HistoryRecorder
 * logs them and carries on).
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import {
  addressKey,
  type HistoryEvent,
  lookupKeys,
  type MessageHistory,
  messageIdKey,
} from '../../core/ports/message-history.ts';
import { type DynamoTarget, queryAll } from './dynamo-support.ts';
import { TTL_ATTRIBUTE } from './dynamo-tables.ts';

const BATCH = 25;
export const HISTORY_BATCH_DELAY_MS = 1000;
const WRITE_ATTEMPTS = 5;

const time = (ms: number) => String(ms).padStart(13, '0');
type Item = Record<string, unknown>;

export class DynamoMessageHistory implements MessageHistory {
  /** A BatchWriteItem takes 25 items: events wait up to a second to fill it (history is best-effort). */
  readonly batchDelayMs = HISTORY_BATCH_DELAY_MS;
  private readonly clock: Clock;
  private readonly writer = randomBytes(4).toString('hex');
  private seq = 0;

  constructor(
    private readonly target: DynamoTarget,
    private readonly opts: { readonly retentionMs: number; readonly clock?: Clock },
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async append(events: readonly HistoryEvent[]): Promise<void> {
    const items: Item[] = [];
    for (const e of events) items.push(...this.itemsOf(e));
    for (let i = 0; i < items.length; i += BATCH) await this.writeBatch(items.slice(i, i + BATCH));
  }

  private itemsOf(e: HistoryEvent): Item[] {
    const ttl = Math.floor((e.at + this.opts.retentionMs) / 1000);
    this.seq = (this.seq + 1) % 1_000_000;
    const items: Item[] = [
      {
        pk: `msg#${e.queueId}`,
        sk: `${time(e.at)}#${this.writer}#${String(this.seq).padStart(6, '0')}`,
        e: JSON.stringify(e),
        [TTL_ATTRIBUTE]: ttl,
      },
    ];
    const keys = lookupKeys(e);
    const lookup = (pk: string) => ({
      pk,
      sk: `${time(e.at)}#${e.queueId}`,
      q: e.queueId,
      [TTL_ATTRIBUTE]: ttl,
    });
    if (keys.messageId) items.push(lookup(`mid#${keys.messageId}`));
    for (const a of keys.addresses) items.push(lookup(`addr#${a}`));
    return items;
  }

  private async writeBatch(items: Item[]): Promise<void> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > WRITE_ATTEMPTS) throw new Error(`history: ${pending.length} item(s) left unprocessed`);
      if (attempt > 1) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      const out = await this.target.client.send(
        new BatchWriteCommand({ RequestItems: { [this.target.tableName]: pending } }),
      );
      pending = (out.UnprocessedItems?.[this.target.tableName] ?? []) as typeof pending;
    }
  }

  async story(queueId: string): Promise<HistoryEvent[]> {
    const now = Math.floor(this.clock.now() / 1000);
    const items = await queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `msg#${queueId}` },
      ConsistentRead: true,
    });
    return items
      .filter((i) => Number(i[TTL_ATTRIBUTE]) >= now)
      .map((i) => JSON.parse(String(i.e)) as HistoryEvent);
  }

  queueIdsByMessageId(messageId: string, limit: number): Promise<string[]> {
    return this.recent(`mid#${messageIdKey(messageId)}`, limit);
  }

  queueIdsByAddress(address: string, limit: number): Promise<string[]> {
    return this.recent(`addr#${addressKey(address)}`, limit);
  }

  /** Distinct queue ids under one lookup key, newest first, paging until `limit` are found. */
  private async recent(pk: string, limit: number): Promise<string[]> {
    const now = Math.floor(this.clock.now() / 1000);
    const ids: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.target.client.send(
        new QueryCommand({
          TableName: this.target.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: Math.max(limit, 10),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const id = String(item.q);
        if (Number(item[TTL_ATTRIBUTE]) >= now && !ids.includes(id)) ids.push(id);
        if (ids.length >= limit) return ids;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return ids;
  }
}
