/**
 * The name writes of the DynamoDB directory: adding and removing accounts, aliases and forwarders.
 * Each is one TransactWriteItems that also moves the domain's name count; an account item lists
 * its aliases (a string set) and carries `aliasRev`, so removing an account removes exactly the
 * aliases that exist (a concurrent addAlias makes the removal read again). Failure: the directory
 * errors for conflicts; transaction conflicts are retried; SDK faults propagate.
 */
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, NotFoundError } from '../../core/directory/errors.ts';
import {
  aliasesOf,
  domainKey,
  domainOf,
  type Item,
  type Kind,
  NAME_PREFIX,
  nameKey,
} from './dynamo-directory-items.ts';
import {
  cancellationReasons,
  conditionFailedAt,
  type DynamoTarget,
  queryAll,
  rawString,
  retryConflicts,
} from './dynamo-support.ts';

/** Worst case 1 account + n aliases + n + 1 domains within a 100-item transaction. */
const MAX_ALIASES_IN_TX = 48;
/** Rounds of "re-read and try again" when a concurrent writer changed what we read. */
const MAX_ROUNDS = 8;

type TxItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** Addresses and domains given here are already lower-case. */
export class DirectoryNames {
  constructor(private readonly target: DynamoTarget) {}

  /**
   * Put a new name and count it in its domain, in one transaction; `first` (the alias's account
   * check) goes before both so its failure is the one reported.
   */
  async insert(item: Item, domain: string, first?: TxItem): Promise<void> {
    const items: TxItem[] = [
      ...(first ? [first] : []),
      {
        Put: {
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      this.countNames(domain, 1),
    ];
    const at = first ? 1 : 0;
    try {
      await retryConflicts(() => this.client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (!reasons) throw err;
      const address = String(item.address);
      if (first && conditionFailedAt(reasons, 0)) throw new NotFoundError('account', String(item.account));
      if (conditionFailedAt(reasons, at)) {
        const kind = (rawString(reasons[at]?.item, 'kind') ?? item.kind) as Kind;
        throw new AlreadyExistsError(kind, address);
      }
      if (conditionFailedAt(reasons, at + 1)) throw new NotFoundError('domain', domain);
      throw err;
    }
  }

  /** ADD `delta` to the domain's name count; the domain must exist. */
  private countNames(domain: string, delta: number): TxItem {
    return {
      Update: {
        TableName: this.table,
        Key: domainKey(domain),
        UpdateExpression: 'ADD #names :delta',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#names': 'names' },
        ExpressionAttributeValues: { ':delta': delta },
      },
    };
  }

  /** The account's item gains the alias in the same transaction (checked first, as embedded). */
  async addAlias(address: string, domain: string, account: string): Promise<void> {
    if (account === address) {
      // One transaction cannot touch an item twice; the name is taken or there is no such account.
      const item = await this.get(nameKey(address));
      if (item?.kind === 'account') throw new AlreadyExistsError('account', address);
      throw new NotFoundError('account', account);
    }
    const accountUpdate: TxItem = {
      Update: {
        TableName: this.table,
        Key: nameKey(account),
        UpdateExpression: 'ADD #aliases :alias, #rev :one',
        ConditionExpression: '#kind = :k',
        ExpressionAttributeNames: { '#aliases': 'aliases', '#rev': 'aliasRev', '#kind': 'kind' },
        ExpressionAttributeValues: { ':alias': new Set([address]), ':one': 1, ':k': 'account' },
      },
    };
    // Checked in this order, as the embedded directory does: account, then name, then domain.
    await this.insert({ ...nameKey(address), kind: 'alias', address, account }, domain, accountUpdate);
  }

  /** Deletes the account and every alias naming it, in one transaction fenced by `aliasRev`. */
  async removeAccount(key: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.get(nameKey(key));
      if (item?.kind !== 'account') throw new NotFoundError('account', key);
      const aliases = aliasesOf(item);
      if (aliases.length > MAX_ALIASES_IN_TX) {
        for (const alias of aliases.slice(MAX_ALIASES_IN_TX)) await ignoreNotFound(this.removeAlias(alias));
        continue;
      }
      const rev = item.aliasRev;
      const counts = new Map<string, number>();
      for (const name of [key, ...aliases]) counts.set(domainOf(name), (counts.get(domainOf(name)) ?? 0) + 1);
      const items: TxItem[] = [
        {
          Delete: {
            TableName: this.table,
            Key: nameKey(key),
            // An alias added since our read moved aliasRev: read again rather than orphan it.
            ConditionExpression:
              rev === undefined ? '#kind = :k AND attribute_not_exists(#rev)' : '#kind = :k AND #rev = :rev',
            ExpressionAttributeNames: { '#kind': 'kind', '#rev': 'aliasRev' },
            ExpressionAttributeValues: { ':k': 'account', ...(rev !== undefined && { ':rev': rev }) },
          },
        },
        ...aliases.map((alias): TxItem => ({ Delete: { TableName: this.table, Key: nameKey(alias) } })),
        ...[...counts].map(([domain, n]) => this.countNames(domain, -n)),
      ];
      try {
        await retryConflicts(() => this.client.send(new TransactWriteCommand({ TransactItems: items })));
        return;
      } catch (err) {
        const reasons = cancellationReasons(err);
        if (!reasons || !conditionFailedAt(reasons, 0)) throw err;
      }
    }
    throw new Error(`account ${key}: changed concurrently ${MAX_ROUNDS} times while being removed`);
  }

  async removeAlias(key: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.get(nameKey(key));
      if (item?.kind !== 'alias') throw new NotFoundError('alias', key);
      const account = String(item.account);
      const items: TxItem[] = [
        {
          Delete: {
            TableName: this.table,
            Key: nameKey(key),
            ConditionExpression: '#kind = :k AND #account = :account',
            ExpressionAttributeNames: { '#kind': 'kind', '#account': 'account' },
            ExpressionAttributeValues: { ':k': 'alias', ':account': account },
          },
        },
        this.countNames(domainOf(key), -1),
        {
          Update: {
            TableName: this.table,
            Key: nameKey(account),
            UpdateExpression: 'DELETE #aliases :alias ADD #rev :one',
            ConditionExpression: '#kind = :k',
            ExpressionAttributeNames: { '#aliases': 'aliases', '#rev': 'aliasRev', '#kind': 'kind' },
            ExpressionAttributeValues: { ':alias': new Set([key]), ':one': 1, ':k': 'account' },
          },
        },
      ];
      try {
        await retryConflicts(() => this.client.send(new TransactWriteCommand({ TransactItems: items })));
        return;
      } catch (err) {
        const reasons = cancellationReasons(err);
        if (!reasons) throw err;
        if (conditionFailedAt(reasons, 0)) continue;
        if (!conditionFailedAt(reasons, 2)) throw err;
        // The account is gone (cannot happen through this adapter): drop the stray alias alone.
        await this.client.send(new TransactWriteCommand({ TransactItems: items.slice(0, 2) }));
        return;
      }
    }
    throw new Error(`alias ${key}: changed concurrently ${MAX_ROUNDS} times while being removed`);
  }

  async removeForwarder(key: string): Promise<void> {
    const items: TxItem[] = [
      {
        Delete: {
          TableName: this.table,
          Key: nameKey(key),
          ConditionExpression: '#kind = :k',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':k': 'forwarder' },
        },
      },
      this.countNames(domainOf(key), -1),
    ];
    try {
      await retryConflicts(() => this.client.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons && conditionFailedAt(reasons, 0)) throw new NotFoundError('forwarder', key);
      throw err;
    }
  }

  /** Remove every name of a domain, each with its own cascade (aliases elsewhere, counts). */
  async purge(domain: string): Promise<void> {
    const names = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': domainKey(domain).pk, ':prefix': NAME_PREFIX },
      ConsistentRead: true,
    });
    const removeOne = (item: Item): Promise<void> => {
      const address = String(item.address);
      if (item.kind === 'account') return this.removeAccount(address);
      if (item.kind === 'alias') return this.removeAlias(address);
      return this.removeForwarder(address);
    };
    // A few at a time: a large domain is many small transactions, not one burst.
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(names.slice(i, i + 8).map((item) => ignoreNotFound(removeOne(item))));
    }
  }

  private get table(): string {
    return this.target.tableName;
  }

  private get client(): DynamoTarget['client'] {
    return this.target.client;
  }

  /** Writes decide on what they read: always a strongly consistent read. */
  private async get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const r = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
    );
    return r.Item;
  }
}

async function ignoreNotFound(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
