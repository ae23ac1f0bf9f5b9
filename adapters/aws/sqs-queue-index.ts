/**
 * The conditional writes the SQS mail queue makes on its index table (queue-index-table.ts).
 * Every state change of an indexed job is one conditional write, made before the SQS copy that
 * carries the new generation is sent; a failed condition answers the item as it is (ALL_OLD) so
 * the caller can tell a stale copy from a lost lease. Failure: other DynamoDB errors propagate.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { QueueJob } from '../../core/ports/mail-queue.ts';
import {
  itemFromRaw,
  QUEUE_INDEX_DEAD_INDEX,
  QUEUE_INDEX_DEAD_KEY,
  QUEUE_INDEX_DEAD_SORT_KEY,
  QUEUE_INDEX_DEAD_VALUE,
  QUEUE_INDEX_TTL_SECONDS,
  type QueueIndexItem,
} from './queue-index-table.ts';

/** A write's outcome: done, or refused by its condition with the item as it stood. */
export type WriteResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly item: QueueIndexItem | undefined };

export interface CopyFacts {
  readonly id: string;
  readonly gen: number;
  /** SQS MessageId. */
  readonly mid: string;
  readonly rc: number;
  readonly job: QueueJob;
}

/** Attribute names as `#name` placeholders: some (ttl) are DynamoDB reserved words. */
function names(...exprs: (string | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of exprs) for (const m of e?.matchAll(/#(\w+)/g) ?? []) out[`#${m[1]}`] = m[1]!;
  return out;
}

function refused(err: unknown): { item: QueueIndexItem | undefined } | undefined {
  if ((err as { name?: string } | null)?.name !== 'ConditionalCheckFailedException') return undefined;
  return { item: itemFromRaw((err as { Item?: Record<string, AttributeValue> }).Item) };
}

/**
 * The item is as the operator read it: same generation and state, and no receive or extend since
 * (both move `vis`), so an operator never acts on a job a processor just leased.
 */
const SAME_ITEM = '#gen = :was AND #st = :st AND #vis = :wasVis';
const sameItem = (item: QueueIndexItem) => ({ ':was': item.gen, ':st': item.st, ':wasVis': item.vis });

export class SqsQueueIndex {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private ttl(now: number): number {
    return Math.floor(now / 1000) + QUEUE_INDEX_TTL_SECONDS;
  }

  private async update(
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    returnOld = false,
  ): Promise<WriteResult & { old?: QueueIndexItem }> {
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: names(update, condition),
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...(returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}),
        }),
      );
      return { ok: true, ...(out.Attributes ? { old: out.Attributes as QueueIndexItem } : {}) };
    } catch (err) {
      const r = refused(err);
      if (r) return { ok: false, item: r.item };
      throw err;
    }
  }

  /**
   * Index a job on enqueue (a DSN or a delayed job). With `strict` (DSN ids) any item refuses it,
   * so an id is enqueued once; otherwise it may replace a job that ended.
   */
  async claim(
    job: QueueJob,
    gen: number,
    st: 'dedupe' | 'queued',
    vis: number,
    now: number,
    strict: boolean,
  ): Promise<WriteResult & { old?: QueueIndexItem }> {
    const condition = strict
      ? 'attribute_not_exists(#id)'
      : 'attribute_not_exists(#id) OR #st IN (:done, :removed)';
    const item: QueueIndexItem = {
      id: job.id,
      st,
      gen,
      job: JSON.stringify(job),
      vis,
      rc: 0,
      created: job.createdAt,
      ttl: this.ttl(now),
    };
    try {
      const out = await this.ddb.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: names(condition),
          ...(strict ? {} : { ExpressionAttributeValues: { ':done': 'done', ':removed': 'removed' } }),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, ...(out.Attributes ? { old: out.Attributes as QueueIndexItem } : {}) };
    } catch (err) {
      const r = refused(err);
      if (r) return { ok: false, item: r.item };
      throw err;
    }
  }

  /**
   * Take the lease for a received copy: it is the current copy (same generation, not leased by a
   * live lease), a newer one than the item knows, or the first the index hears of.
   */
  takeLease(
    copy: CopyFacts,
    lease: string,
    until: number,
    now: number,
    lastChance = false,
  ): Promise<WriteResult> {
    // A last-chance lease (the last receive SQS allows) enters the dead-letters index: if its
    // holder never finishes, the job is dead once `vis` passes, and the sweep's Query finds it.
    const dead = lastChance ? ', #dlk = :dead' : '';
    return this.update(
      copy.id,
      `SET #st = :leased, #gen = :c, #job = :job, #vis = :until, #rc = :rc, #lease = :lease, #mid = :mid,
         #created = if_not_exists(#created, :created), #ttl = :ttl${dead}
       REMOVE #pending, #pmid, #dlc${lastChance ? '' : ', #dlk'}`,
      `attribute_not_exists(#id) OR #gen < :c OR (#gen = :c AND (#st IN (:dedupe, :queued) OR (#st = :leased AND #vis <= :now)))`,
      {
        ':leased': 'leased',
        ':dedupe': 'dedupe',
        ':queued': 'queued',
        ':c': copy.gen,
        ':job': JSON.stringify(copy.job),
        ':until': until,
        ':rc': copy.rc,
        ':lease': lease,
        ':mid': copy.mid,
        ':created': copy.job.createdAt,
        ':ttl': this.ttl(now),
        ':now': now,
        ...(lastChance ? { ':dead': QUEUE_INDEX_DEAD_VALUE } : {}),
      },
    );
  }

  async extend(id: string, lease: string, until: number): Promise<boolean> {
    return (
      await this.update(id, 'SET #vis = :until', '#lease = :lease', { ':until': until, ':lease': lease })
    ).ok;
  }

  /** The leased job is finished: keep a `done` marker so late copies (and DSN ids) are refused. */
  async complete(id: string, lease: string, now: number): Promise<boolean> {
    const r = await this.update(
      id,
      'SET #st = :done, #ttl = :ttl REMOVE #job, #lease, #mid, #pmid, #pending, #dlk, #dlc',
      '#lease = :lease',
      { ':done': 'done', ':ttl': this.ttl(now), ':lease': lease },
    );
    return r.ok;
  }

  /**
   * Record a rescheduled state under generation `gen`. `held` is the receipt's view: its lease
   * token when the job was indexed at receive, else the copy's generation (the item, if any, must
   * be older). Answers the previous item so a failed send can put it back.
   */
  reschedule(
    job: QueueJob,
    held: { lease?: string; gen: number; mid: string },
    gen: number,
    vis: number,
    now: number,
  ): Promise<WriteResult & { old?: QueueIndexItem }> {
    const condition = held.lease ? '#lease = :lease' : 'attribute_not_exists(#id) OR #gen < :held';
    return this.update(
      job.id,
      `SET #st = :queued, #gen = :g, #job = :job, #vis = :vis, #rc = :zero, #pmid = :pmid,
         #created = if_not_exists(#created, :created), #ttl = :ttl REMOVE #lease, #mid, #pending, #dlk, #dlc`,
      condition,
      {
        ':queued': 'queued',
        ':g': gen,
        ':job': JSON.stringify(job),
        ':vis': vis,
        ':zero': 0,
        ':pmid': held.mid,
        ':created': job.createdAt,
        ':ttl': this.ttl(now),
        ...(held.lease ? { ':lease': held.lease } : { ':held': held.gen }),
      },
      true,
    );
  }

  /**
   * Park a received job (a hold covers it) under generation `gen`: state held, no SQS copy.
   * `held` is the receipt's view, as for reschedule; every copy of older generations is stale.
   */
  park(
    job: QueueJob,
    held: { lease?: string; gen: number },
    gen: number,
    now: number,
  ): Promise<WriteResult & { old?: QueueIndexItem }> {
    const condition = held.lease ? '#lease = :lease' : 'attribute_not_exists(#id) OR #gen < :held';
    return this.update(
      job.id,
      `SET #st = :heldSt, #gen = :g, #job = :job, #vis = :now, #rc = :zero,
         #created = if_not_exists(#created, :created), #ttl = :ttl REMOVE #lease, #mid, #pmid, #pending, #dlk, #dlc`,
      condition,
      {
        ':heldSt': 'held',
        ':g': gen,
        ':job': JSON.stringify(job),
        ':now': now,
        ':zero': 0,
        ':created': job.createdAt,
        ':ttl': this.ttl(now),
        ...(held.lease ? { ':lease': held.lease } : { ':held': held.gen }),
      },
      true,
    );
  }

  /** Operator hold of a waiting job as read: a new generation in state held (its copy goes stale). */
  async hold(item: QueueIndexItem, gen: number, now: number): Promise<boolean> {
    const r = await this.update(
      item.id,
      'SET #st = :heldSt, #gen = :g, #vis = :now, #rc = :zero, #ttl = :ttl REMOVE #lease, #mid, #pmid, #pending, #dlk, #dlc',
      SAME_ITEM,
      { ':heldSt': 'held', ':g': gen, ':now': now, ':zero': 0, ':ttl': this.ttl(now), ...sameItem(item) },
    );
    return r.ok;
  }

  /** Operator release: a new ready generation, marked pending until its copy is sent. */
  release(
    item: QueueIndexItem,
    gen: number,
    job: QueueJob,
    now: number,
  ): Promise<WriteResult & { old?: QueueIndexItem }> {
    return this.update(
      item.id,
      `SET #st = :queued, #gen = :g, #job = :job, #vis = :now, #rc = :zero, #pending = :true, #ttl = :ttl
         REMOVE #lease, #mid, #pmid, #dlk, #dlc`,
      SAME_ITEM,
      {
        ':queued': 'queued',
        ':g': gen,
        ':job': JSON.stringify(job),
        ':now': now,
        ':zero': 0,
        ':true': true,
        ':ttl': this.ttl(now),
        ...sameItem(item),
      },
      true,
    );
  }

  async confirmRelease(id: string, gen: number): Promise<void> {
    await this.update(id, 'REMOVE #pending', '#gen = :g', { ':g': gen });
  }

  async remove(item: QueueIndexItem, now: number): Promise<boolean> {
    const r = await this.update(
      item.id,
      'SET #st = :removed, #ttl = :ttl REMOVE #job, #lease, #mid, #pmid, #pending, #dlk, #dlc',
      SAME_ITEM,
      { ':removed': 'removed', ':ttl': this.ttl(now), ...sameItem(item) },
    );
    return r.ok;
  }

  /** Undo a write whose SQS copy could not be sent: put `old` back (or delete) if `gen` is still current. */
  async restore(id: string, gen: number, old: QueueIndexItem | undefined): Promise<void> {
    const cond = {
      ConditionExpression: '#gen = :g',
      ExpressionAttributeNames: { '#gen': 'gen' },
      ExpressionAttributeValues: { ':g': gen },
    };
    try {
      if (old) await this.ddb.send(new PutCommand({ TableName: this.table, Item: old, ...cond }));
      else await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { id }, ...cond }));
    } catch (err) {
      if (!refused(err)) throw err;
    }
  }

  async get(id: string): Promise<QueueIndexItem | undefined> {
    const out = await this.ddb.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return out.Item as QueueIndexItem | undefined;
  }

  /**
   * Dead jobs not yet reported: last-chance leases that ran out (the dead-letters index, one
   * Query; eventually consistent, so a report may come one sweep late). Oldest lease end first.
   */
  async queryDead(now: number, limit: number): Promise<QueueIndexItem[]> {
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: QUEUE_INDEX_DEAD_INDEX,
        KeyConditionExpression: '#dlk = :dead AND #vis <= :now',
        ExpressionAttributeNames: { '#dlk': QUEUE_INDEX_DEAD_KEY, '#vis': QUEUE_INDEX_DEAD_SORT_KEY },
        ExpressionAttributeValues: { ':dead': QUEUE_INDEX_DEAD_VALUE, ':now': now },
        Limit: limit,
      }),
    );
    return (out.Items ?? []) as QueueIndexItem[];
  }

  /**
   * Take the report of a dead job (still the last-chance lease `lease`, run out) until `until`:
   * false when another sweeper holds it or it was reported, released or removed meanwhile.
   */
  async claimDeadReport(id: string, lease: string, until: number, now: number): Promise<boolean> {
    const r = await this.update(
      id,
      'SET #dlc = :until',
      '#dlk = :dead AND #lease = :lease AND #vis <= :now AND (attribute_not_exists(#dlc) OR #dlc <= :now)',
      { ':until': until, ':dead': QUEUE_INDEX_DEAD_VALUE, ':lease': lease, ':now': now },
    );
    return r.ok;
  }

  /** The dead job's report is done: it leaves the dead-letters index (the job stays dead). */
  async deadReported(id: string, lease: string): Promise<void> {
    await this.update(id, 'REMOVE #dlk, #dlc', 'attribute_exists(#dlk) AND #lease = :lease', {
      ':lease': lease,
    });
  }

  /** Items operators see (queued, leased and held), in table order. */
  async scanVisible(): Promise<QueueIndexItem[]> {
    const items: QueueIndexItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          FilterExpression: '#st IN (:queued, :leased, :held)',
          ExpressionAttributeNames: { '#st': 'st' },
          ExpressionAttributeValues: { ':queued': 'queued', ':leased': 'leased', ':held': 'held' },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((page.Items ?? []) as QueueIndexItem[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** How many jobs are held (a Scan: operator depth only). */
  async countHeld(): Promise<number> {
    let n = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(
        new ScanCommand({
          TableName: this.table,
          ConsistentRead: true,
          Select: 'COUNT',
          FilterExpression: '#st = :held',
          ExpressionAttributeNames: { '#st': 'st' },
          ExpressionAttributeValues: { ':held': 'held' },
          ExclusiveStartKey: start,
        }),
      );
      n += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return n;
  }
}
