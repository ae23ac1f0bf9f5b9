/**
 * The DKIM keys of the DynamoDB directory: a list attribute `dkimKeys` on the domain item, so the
 * keys go with the domain and reading them is one GetItem. Writes read the list, change it and
 * write it back under a version condition (`dkimVersion`), re-reading when another writer got in
 * between. Failure: an unknown domain raises NotFoundError, a taken selector AlreadyExistsError;
 * SDK faults propagate.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AlreadyExistsError, NotFoundError } from '../../core/directory/errors.ts';
import type { DkimKeyRecord } from '../../core/ports/directory.ts';
import { domainKey, type Item, lower } from './dynamo-directory-items.ts';
import { conditionFailure, type DynamoTarget, retryConflicts } from './dynamo-support.ts';

const MAX_ROUNDS = 8;

type Change = (keys: DkimKeyRecord[], domain: string) => DkimKeyRecord[];

const toKey = (raw: Item): DkimKeyRecord => ({
  domain: String(raw.domain),
  selector: String(raw.selector),
  algorithm: raw.algorithm === 'ed25519' ? 'ed25519' : 'rsa',
  privateKeyPem: String(raw.privateKeyPem),
  createdAt: Number(raw.createdAt),
  state: raw.state === 'retired' ? 'retired' : 'active',
});

export class DynamoDkimKeys {
  constructor(
    private readonly target: DynamoTarget,
    private readonly consistent: boolean,
  ) {}

  async list(domain: string): Promise<DkimKeyRecord[]> {
    const item = await this.read(lower(domain), this.consistent);
    return item ? keysOf(item) : [];
  }

  add(key: DkimKeyRecord, retireOthers: boolean): Promise<void> {
    return this.change(key.domain, (keys, domain) => {
      if (keys.some((k) => k.selector === key.selector)) {
        throw new AlreadyExistsError('DKIM key', `${key.selector}._domainkey.${domain}`);
      }
      const kept = retireOthers ? keys.map((k) => ({ ...k, state: 'retired' as const })) : keys;
      return [...kept, { ...key, domain }];
    });
  }

  remove(domain: string, selector: string): Promise<void> {
    return this.change(domain, (keys, d) => {
      if (!keys.some((k) => k.selector === selector)) {
        throw new NotFoundError('DKIM key', `${selector}._domainkey.${d}`);
      }
      return keys.filter((k) => k.selector !== selector);
    });
  }

  private async read(domain: string, consistent: boolean): Promise<Item | undefined> {
    const r = await this.target.client.send(
      new GetCommand({
        TableName: this.target.tableName,
        Key: domainKey(domain),
        ProjectionExpression: 'pk, dkimKeys, dkimVersion',
        ConsistentRead: consistent,
      }),
    );
    return r.Item;
  }

  /** Read, change and write back the list while no other writer changed it in between. */
  private async change(name: string, change: Change): Promise<void> {
    const domain = lower(name);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const item = await this.read(domain, true);
      if (!item) throw new NotFoundError('domain', domain);
      const next = change(keysOf(item), domain);
      const version = typeof item.dkimVersion === 'number' ? item.dkimVersion : undefined;
      const command = new UpdateCommand({
        TableName: this.target.tableName,
        Key: domainKey(domain),
        UpdateExpression: 'SET dkimKeys = :keys, dkimVersion = :next',
        ConditionExpression:
          version === undefined
            ? 'attribute_exists(pk) AND attribute_not_exists(dkimVersion)'
            : 'attribute_exists(pk) AND dkimVersion = :version',
        ExpressionAttributeValues: {
          ':keys': next,
          ':next': (version ?? 0) + 1,
          ...(version === undefined ? {} : { ':version': version }),
        },
      });
      try {
        await retryConflicts(() => this.target.client.send(command));
        return;
      } catch (err) {
        if (!conditionFailure(err)) throw err;
      }
    }
    throw new Error(`DKIM keys of ${domain} changed concurrently ${MAX_ROUNDS} times`);
  }
}

function keysOf(item: Item): DkimKeyRecord[] {
  const list = Array.isArray(item.dkimKeys) ? (item.dkimKeys as Item[]) : [];
  return list.map(toKey);
}
