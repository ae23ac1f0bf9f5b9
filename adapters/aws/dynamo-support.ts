/**
 * Shared helpers of the DynamoDB adapters: the old item a failed condition sends back (errors carry
 * raw AttributeValues; lib-dynamodb does not unmarshall them), which items cancelled a transaction,
 * retrying a write that collided with a concurrent transaction on the same item, and paged Queries.
 * Failure: anything not recognised is rethrown unchanged (a storage fault for the caller).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** An item as DynamoDB sends it inside an error (not unmarshalled). */
export type RawItem = Record<string, AttributeValue>;

/** What every DynamoDB adapter is built from. */
export interface DynamoTarget {
  /** A document client created with `marshallOptions: { removeUndefinedValues: true }`. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** A single-item write refused by its ConditionExpression; `item` is ALL_OLD when asked for. */
export function conditionFailure(err: unknown): { item: RawItem | undefined } | undefined {
  if (errorName(err) !== 'ConditionalCheckFailedException') return undefined;
  return { item: (err as { Item?: RawItem }).Item };
}

export interface CancellationReason {
  /** "None", "ConditionalCheckFailed", "TransactionConflict", ... */
  readonly code: string;
  readonly item: RawItem | undefined;
}

/** The per-item reasons of a cancelled TransactWriteItems, in request order. */
export function cancellationReasons(err: unknown): CancellationReason[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: { Code?: string; Item?: RawItem }[] }).CancellationReasons;
  return (reasons ?? []).map((r) => ({ code: r.Code ?? 'None', item: r.Item }));
}

/** True when reason `index` of a cancelled transaction is its own condition failing. */
export function conditionFailedAt(reasons: readonly CancellationReason[], index: number): boolean {
  return reasons[index]?.code === 'ConditionalCheckFailed';
}

/**
 * A write that lost a race with a transaction touching the same item: safe to run again. The SDK
 * retries throttling but neither of these (TransactionConflict is not in its retryable codes).
 */
export function isTransactionConflict(err: unknown): boolean {
  if (errorName(err) === 'TransactionConflictException') return true;
  const reasons = cancellationReasons(err);
  return reasons?.some((r) => r.code === 'TransactionConflict') ?? false;
}

/**
 * Run `fn` again while it fails with a transaction conflict, with jittered exponential backoff.
 * Only for writes whose conflict means "nothing was written" (a cancelled transaction, a refused item).
 */
export async function retryConflicts<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isTransactionConflict(err)) throw err;
      const ceiling = Math.min(200, 5 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
    }
  }
}

export function rawString(item: RawItem | undefined, name: string): string | undefined {
  return item?.[name]?.S;
}

export function rawNumber(item: RawItem | undefined, name: string): number | undefined {
  const n = item?.[name]?.N;
  return n === undefined ? undefined : Number(n);
}

/** Every item of a Query, following LastEvaluatedKey. */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
