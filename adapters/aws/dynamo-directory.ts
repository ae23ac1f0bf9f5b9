/**
 * DirectoryAdmin on DynamoDB (one table, layout in dynamo-directory-items.ts): a domain item per domain
 * holding a count of its names, and one item per name (account, alias or forwarder) in the domain's
 * partition, so a name is unique per domain by a conditional put and lookupName is one GetItem.
 * Name writes (dynamo-directory-names.ts) also move the domain's count in the same transaction,
 * which lets removeDomain refuse a non-empty domain in one conditional delete. Failure:
 * conflicts raise the directory errors; transaction conflicts are retried; SDK faults propagate.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  AlreadyExistsError,
  DomainNotEmptyError,
  InvalidAddressError,
  NotFoundError,
} from '../../core/directory/errors.ts';
import type {
  AccountPage,
  AccountPageQuery,
  AccountRecord,
  AliasRecord,
  DirectoryAdmin,
  DkimKeyRecord,
  DomainPatch,
  DomainRecord,
  ForwarderRecord,
  NameEntry,
} from '../../core/ports/directory.ts';
import type { PartialSettings } from '../../core/settings/settings.ts';
import {
  accountItem,
  aliasesOf,
  CLUSTER_KEY,
  DOMAINS_LIST,
  domainItem,
  domainKey,
  type Item,
  type Key,
  type Kind,
  lower,
  mergeSettings,
  NAME_PREFIX,
  nameKey,
  type SettingsUpdate,
  settingsUpdate,
  splitAddress,
  toAccount,
  toAlias,
  toDomain,
  toForwarder,
  toNameEntry,
  updateExpression,
} from './dynamo-directory-items.ts';
import { DirectoryNames } from './dynamo-directory-names.ts';
import { DynamoDkimKeys } from './dynamo-dkim-keys.ts';
import {
  conditionFailure,
  type DynamoTarget,
  queryAll,
  rawNumber,
  retryConflicts,
} from './dynamo-support.ts';
import { LIST_INDEX, LIST_PK } from './dynamo-tables.ts';

/** Rounds of "re-read and try again" when a concurrent writer changed what we read. */
const MAX_ROUNDS = 8;

export interface DynamoDirectoryOptions {
  /**
   * Strongly consistent reads (default true: read-your-writes, as the embedded directory). False
   * halves the read cost of lookupName/getDomain at the price of up to ~1 s of staleness.
   */
  readonly consistentReads?: boolean;
}

export class DynamoDirectory implements DirectoryAdmin {
  private readonly consistent: boolean;
  private readonly names: DirectoryNames;
  private readonly dkim: DynamoDkimKeys;

  constructor(
    private readonly target: DynamoTarget,
    opts: DynamoDirectoryOptions = {},
  ) {
    this.consistent = opts.consistentReads ?? true;
    this.names = new DirectoryNames(target);
    this.dkim = new DynamoDkimKeys(target, this.consistent);
  }

  async addDomain(domain: DomainRecord): Promise<void> {
    const item = domainItem(domain);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (conditionFailure(err)) throw new AlreadyExistsError('domain', String(item.name));
      throw err;
    }
  }

  async getDomain(name: string): Promise<DomainRecord | undefined> {
    const item = await this.get(domainKey(lower(name)));
    return item ? toDomain(item) : undefined;
  }

  /** One Query of the sparse `list` GSI (eventually consistent: an admin listing, not a hot path). */
  async listDomains(): Promise<DomainRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      IndexName: LIST_INDEX,
      KeyConditionExpression: '#lp = :lp',
      ExpressionAttributeNames: { '#lp': LIST_PK },
      ExpressionAttributeValues: { ':lp': DOMAINS_LIST },
    });
    return items.map(toDomain);
  }

  async updateDomain(name: string, patch: DomainPatch): Promise<void> {
    const key = domainKey(lower(name));
    const u = settingsUpdate('defaults', patch.defaults ?? {});
    const set = [...u.set];
    const names: Record<string, string> = { ...u.names };
    const values: Record<string, unknown> = { ...u.values };
    if (patch.mailToUnknown) {
      set.push('#mtu = :mtu');
      names['#mtu'] = 'mailToUnknown';
      values[':mtu'] = patch.mailToUnknown;
    }
    const remove = [...u.remove];
    if (patch.postmaster !== undefined) {
      names['#pm'] = 'postmaster';
      if (patch.postmaster === null) remove.push('#pm');
      else {
        set.push('#pm = :pm');
        values[':pm'] = patch.postmaster;
      }
    }
    await this.updateOrNotFound(key, { set, remove, names, values }, 'attribute_exists(pk)', {
      present: () => true,
      missing: () => new NotFoundError('domain', lower(name)),
    });
  }

  async removeDomain(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const domain = lower(name);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        const command = new DeleteCommand({
          TableName: this.table,
          Key: domainKey(domain),
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#names) OR #names = :zero)',
          ExpressionAttributeNames: { '#names': 'names' },
          ExpressionAttributeValues: { ':zero': 0 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        });
        await retryConflicts(() => this.client.send(command));
        return;
      } catch (err) {
        const failed = conditionFailure(err);
        if (!failed) throw err;
        if (!failed.item) throw new NotFoundError('domain', domain);
        if (!opts.force) throw new DomainNotEmptyError(domain, rawNumber(failed.item, 'names') ?? 0);
      }
      await this.names.purge(domain);
    }
    throw new Error(`domain ${domain}: names kept appearing while it was being removed`);
  }

  async addAccount(account: AccountRecord): Promise<void> {
    const { address, domain } = splitAddress(account.address);
    if (lower(account.domain) !== domain || lower(account.name) !== address.slice(0, -domain.length - 1)) {
      throw new InvalidAddressError(
        account.address,
        `does not match name ${account.name} and domain ${account.domain}`,
      );
    }
    await this.names.insert(accountItem(account, address), domain);
  }

  async getAccount(address: string): Promise<AccountRecord | undefined> {
    const item = await this.get(nameKey(lower(address)));
    return item?.kind === 'account' ? toAccount(item) : undefined;
  }

  async listAccounts(domain: string): Promise<AccountRecord[]> {
    return (await this.listKind(domain, 'account')).map(toAccount);
  }

  /**
   * Queries the domain's partition from `after` on (ExclusiveStartKey), names starting with the
   * prefix, accounts only. The kind filter applies after DynamoDB's Limit, so a round may bring
   * fewer accounts than asked: it goes on until it has one more than the page (to know whether
   * another page follows) or the partition's range is read.
   */
  async listAccountsPage(domain: string, query: AccountPageQuery): Promise<AccountPage> {
    const pk = domainKey(lower(domain)).pk;
    const prefix = lower(query.prefix ?? '');
    const found: Item[] = [];
    let start: Key | undefined =
      query.after !== undefined ? { pk, sk: `${NAME_PREFIX}${lower(query.after)}` } : undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#kind = :kind',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':pk': pk, ':prefix': `${NAME_PREFIX}${prefix}`, ':kind': 'account' },
          Limit: query.limit + 1 - found.length,
          ConsistentRead: this.consistent,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      found.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey as Key | undefined;
    } while (start && found.length <= query.limit);
    const items = found.slice(0, query.limit).map(toAccount);
    return found.length > query.limit ? { items, nextAfter: items.at(-1)!.address } : { items };
  }

  async removeAccount(address: string): Promise<void> {
    await this.names.removeAccount(lower(address));
  }

  async setPasswordHash(address: string, hash: string): Promise<void> {
    await this.updateAccount(address, {
      set: ['#ph = :ph'],
      remove: [],
      names: { '#ph': 'passwordHash' },
      values: { ':ph': hash },
    });
  }

  async updateAccountSettings(address: string, patch: PartialSettings): Promise<void> {
    await this.updateAccount(address, settingsUpdate('settings', patch));
  }

  async addAlias(alias: AliasRecord): Promise<void> {
    const { address, domain } = splitAddress(alias.address);
    await this.names.addAlias(address, domain, lower(alias.account));
  }

  async removeAlias(address: string): Promise<void> {
    await this.names.removeAlias(lower(address));
  }

  async listAliases(domain: string): Promise<AliasRecord[]> {
    return (await this.listKind(domain, 'alias')).map(toAlias);
  }

  async addForwarder(forwarder: ForwarderRecord): Promise<void> {
    const { address, domain } = splitAddress(forwarder.address);
    await this.names.insert(
      { ...nameKey(address), kind: 'forwarder', address, target: forwarder.target },
      domain,
    );
  }

  async removeForwarder(address: string): Promise<void> {
    await this.names.removeForwarder(lower(address));
  }

  async listForwarders(domain: string): Promise<ForwarderRecord[]> {
    return (await this.listKind(domain, 'forwarder')).map(toForwarder);
  }

  /** The account item lists its aliases (kept in the same transactions as the alias items). */
  async aliasesOf(account: string): Promise<string[]> {
    const item = await this.get(nameKey(lower(account)));
    return item?.kind === 'account' ? aliasesOf(item) : [];
  }

  async lookupName(address: string): Promise<NameEntry | undefined> {
    const item = await this.get(nameKey(lower(address)));
    return item ? toNameEntry(item) : undefined;
  }

  async getClusterSettings(): Promise<PartialSettings> {
    return ((await this.get(CLUSTER_KEY))?.settings ?? {}) as PartialSettings;
  }

  async updateClusterSettings(patch: PartialSettings): Promise<void> {
    const u = settingsUpdate('settings', patch);
    if (u.set.length + u.remove.length === 0) return;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      try {
        await this.update(CLUSTER_KEY, u, 'attribute_exists(#smap)');
        return;
      } catch (err) {
        if (!conditionFailure(err)) throw err;
      }
      // First cluster setting ever: create the item (unless another writer just did).
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...CLUSTER_KEY, settings: mergeSettings({}, patch) },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return;
      } catch (err) {
        if (!conditionFailure(err)) throw err;
      }
    }
    throw new Error(`cluster settings changed concurrently ${MAX_ROUNDS} times`);
  }

  dkimKeys(domain: string): Promise<DkimKeyRecord[]> {
    return this.dkim.list(domain);
  }

  addDkimKey(key: DkimKeyRecord, opts: { retireOthers?: boolean } = {}): Promise<void> {
    return this.dkim.add(key, opts.retireOthers === true);
  }

  removeDkimKey(domain: string, selector: string): Promise<void> {
    return this.dkim.remove(domain, selector);
  }

  private get table(): string {
    return this.target.tableName;
  }

  private get client(): DynamoTarget['client'] {
    return this.target.client;
  }

  private async get(key: Key, consistent = this.consistent): Promise<Item | undefined> {
    const r = await this.client.send(
      new GetCommand({ TableName: this.table, Key: key, ConsistentRead: consistent }),
    );
    return r.Item;
  }

  private async listKind(domain: string, kind: Kind): Promise<Item[]> {
    return queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: {
        ':pk': domainKey(lower(domain)).pk,
        ':prefix': NAME_PREFIX,
        ':kind': kind,
      },
      ConsistentRead: this.consistent,
    });
  }

  private async updateAccount(address: string, u: SettingsUpdate): Promise<void> {
    const key = lower(address);
    await this.updateOrNotFound(
      nameKey(key),
      { ...u, names: { ...u.names, '#kind': 'kind' }, values: { ...u.values, ':account': 'account' } },
      '#kind = :account',
      { present: (item) => item.kind === 'account', missing: () => new NotFoundError('account', key) },
    );
  }

  /** A conditional update, or a read when there is nothing to change; `missing()` when absent. */
  private async updateOrNotFound(
    key: Key,
    u: SettingsUpdate,
    condition: string,
    check: { present: (item: Item) => boolean; missing: () => Error },
  ): Promise<void> {
    if (u.set.length + u.remove.length === 0) {
      const item = await this.get(key, true);
      if (!item || !check.present(item)) throw check.missing();
      return;
    }
    try {
      await this.update(key, u, condition);
    } catch (err) {
      if (conditionFailure(err)) throw check.missing();
      throw err;
    }
  }

  /** Domain and account items also take part in transactions: a collision is retried. */
  private async update(key: Key, u: SettingsUpdate, condition: string): Promise<void> {
    const command = new UpdateCommand({
      TableName: this.table,
      Key: key,
      UpdateExpression: updateExpression(u.set, u.remove),
      ConditionExpression: condition,
      ...(Object.keys(u.names).length > 0 && { ExpressionAttributeNames: u.names }),
      ...(Object.keys(u.values).length > 0 && { ExpressionAttributeValues: u.values }),
    });
    await retryConflicts(() => this.client.send(command));
  }
}
