/**
 * AccountLeases on DynamoDB: one item per account in the coordination table (owner, epoch,
 * expiresAt), changed only by conditional UpdateItems whose conditions compare expiresAt with the
 * injected clock's value; TTL never deletes a lease, so an account's epoch never goes backwards.
 * Failure: a refused acquire is a value ({ ok: false, heldBy }, taken from the refused write's
 * ALL_OLD, no second read); SDK faults propagate.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountLeasesAdmin, AcquireResult, Lease } from '../../core/ports/account-leases.ts';
import type { Clock } from '../../core/ports/clock.ts';
import { systemClock } from '../../core/ports/clock.ts';
import { conditionFailure, type DynamoTarget, type RawItem, rawNumber, rawString } from './dynamo-support.ts';

/** Lost races in a row before acquire gives up (each loss means another writer made progress). */
const MAX_ATTEMPTS = 8;

const NAMES = {
  '#pk': 'pk',
  '#account': 'account',
  '#owner': 'owner',
  '#epoch': 'epoch',
  '#expiresAt': 'expiresAt',
};

export class DynamoAccountLeases implements AccountLeasesAdmin {
  private readonly clock: Clock;

  constructor(
    private readonly target: DynamoTarget,
    opts: { clock?: Clock } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  async acquire(account: string, owner: string, ttlMs: number): Promise<AcquireResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      // Free or already ours (live or not): one write, the epoch kept (or 1 for a new item).
      const mine = await this.update(account, {
        UpdateExpression:
          'SET #account = :account, #owner = :owner, #expiresAt = :expiresAt, #epoch = if_not_exists(#epoch, :one)',
        ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :owner',
        ExpressionAttributeValues: {
          ':account': account,
          ':owner': owner,
          ':expiresAt': now + ttlMs,
          ':one': 1,
        },
      });
      if (mine.ok) return mine;
      const held = mine.old;
      if (!held) continue; // the item vanished in between (only by hand): start over
      if (held.expiresAt > now) return { ok: false, heldBy: held };
      // Expired and someone else's: take it over with epoch + 1, exactly once per change of owner.
      const taken = await this.update(account, {
        UpdateExpression: 'SET #owner = :owner, #expiresAt = :expiresAt, #epoch = :next',
        ConditionExpression: '#owner = :oldOwner AND #epoch = :oldEpoch AND #expiresAt <= :now',
        ExpressionAttributeValues: {
          ':owner': owner,
          ':expiresAt': now + ttlMs,
          ':next': held.epoch + 1,
          ':oldOwner': held.owner,
          ':oldEpoch': held.epoch,
          ':now': now,
        },
      });
      if (taken.ok) return taken;
      if (taken.old && taken.old.owner !== owner && taken.old.expiresAt > now) {
        return { ok: false, heldBy: taken.old };
      }
    }
    throw new Error(`lease for ${account}: lost ${MAX_ATTEMPTS} races in a row`);
  }

  async renew(account: string, owner: string, epoch: number, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.update(account, {
      UpdateExpression: 'SET #expiresAt = :expiresAt',
      ConditionExpression: '#owner = :owner AND #epoch = :epoch AND #expiresAt > :now',
      ExpressionAttributeValues: { ':expiresAt': now + ttlMs, ':owner': owner, ':epoch': epoch, ':now': now },
    });
    return r.ok;
  }

  async release(account: string, owner: string, epoch: number): Promise<void> {
    const now = this.clock.now();
    // Expire it now; an already expired lease stays as it is (not our lease any more).
    await this.update(account, {
      UpdateExpression: 'SET #expiresAt = :now',
      ConditionExpression: '#owner = :owner AND #epoch = :epoch AND #expiresAt > :now',
      ExpressionAttributeValues: { ':owner': owner, ':epoch': epoch, ':now': now },
    });
  }

  async forceRelease(account: string, epoch: number): Promise<boolean> {
    const now = this.clock.now();
    const r = await this.update(account, {
      UpdateExpression: 'SET #expiresAt = :now',
      ConditionExpression: 'attribute_exists(#pk) AND #epoch = :epoch AND #expiresAt > :now',
      ExpressionAttributeValues: { ':epoch': epoch, ':now': now },
    });
    return r.ok;
  }

  async get(account: string): Promise<Lease | undefined> {
    const r = await this.target.client.send(
      new GetCommand({ TableName: this.target.tableName, Key: leaseKey(account), ConsistentRead: true }),
    );
    return r.Item ? toLease(r.Item) : undefined;
  }

  /** One conditional update; a refused condition answers with the item as it was. */
  private async update(
    account: string,
    expr: { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: object },
  ): Promise<{ ok: true; lease: Lease } | { ok: false; old: Lease | undefined }> {
    try {
      const r = await this.target.client.send(
        new UpdateCommand({
          TableName: this.target.tableName,
          Key: leaseKey(account),
          ...expr,
          ExpressionAttributeValues: expr.ExpressionAttributeValues as Record<string, unknown>,
          ExpressionAttributeNames: usedNames(expr.UpdateExpression, expr.ConditionExpression),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ok: true, lease: toLease(r.Attributes ?? {}) };
    } catch (err) {
      const failed = conditionFailure(err);
      if (!failed) throw err;
      return { ok: false, old: rawLease(failed.item) };
    }
  }
}

export function leaseKey(account: string): { pk: string; sk: string } {
  return { pk: `lease#${account}`, sk: 'lease' };
}

/** DynamoDB refuses names in ExpressionAttributeNames that the expressions do not use. */
function usedNames(...expressions: string[]): Record<string, string> {
  const text = expressions.join(' ');
  return Object.fromEntries(Object.entries(NAMES).filter(([placeholder]) => text.includes(placeholder)));
}

function toLease(item: Record<string, unknown>): Lease {
  return {
    account: String(item.account),
    owner: String(item.owner),
    epoch: Number(item.epoch),
    expiresAt: Number(item.expiresAt),
  };
}

function rawLease(item: RawItem | undefined): Lease | undefined {
  const owner = rawString(item, 'owner');
  const epoch = rawNumber(item, 'epoch');
  const expiresAt = rawNumber(item, 'expiresAt');
  const account = rawString(item, 'account');
  if (owner === undefined || epoch === undefined || expiresAt === undefined || account === undefined) {
    return undefined;
  }
  return { account, owner, epoch, expiresAt };
}
