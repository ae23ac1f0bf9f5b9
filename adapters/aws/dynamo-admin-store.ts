/**
 * AdminStore on DynamoDB, in the coordination table (few, small items; no table of its own):
 * administrators in the partition "admins" (sort key the name), sessions in "admin-sessions"
 * (sort key the SHA-256 of the cookie; TTL an hour after expiry), API tokens in "admin-tokens"
 * (sort key the token id), audit records in "audit" and, for a record of one domain, a copy in
 * "audit#<domain>" (both written in one transaction; sort key the time-ordered id, listed newest
 * first with a Query). before/after are stored as JSON text. Failure: SDK faults propagate.
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  AdminRecord,
  AdminSessionRecord,
  AdminStore,
  ApiTokenRecord,
  AuditPage,
  AuditQuery,
  AuditRecord,
} from '../../core/ports/admin-store.ts';
import { conditionFailure, type DynamoTarget, queryAll } from './dynamo-support.ts';

const ADMINS = 'admins';
const SESSIONS = 'admin-sessions';
const TOKENS = 'admin-tokens';
const AUDIT = 'audit';
const auditPartition = (domain: string | undefined) => (domain === undefined ? AUDIT : `${AUDIT}#${domain}`);

type Item = Record<string, unknown>;

const adminItem = (a: AdminRecord): Item => ({
  pk: ADMINS,
  sk: a.name,
  passwordHash: a.passwordHash,
  role: a.role,
  domains: [...a.domains],
  createdAt: a.createdAt,
  ...(a.disabled ? { disabled: true } : {}),
});
const adminFrom = (i: Item): AdminRecord => ({
  name: String(i.sk),
  passwordHash: String(i.passwordHash),
  role: i.role as AdminRecord['role'],
  domains: ((i.domains as unknown[] | undefined) ?? []).map(String),
  createdAt: Number(i.createdAt),
  ...(i.disabled === true ? { disabled: true } : {}),
});
const sessionFrom = (i: Item): AdminSessionRecord => ({
  idHash: String(i.sk),
  admin: String(i.admin),
  csrfToken: String(i.csrfToken),
  createdAt: Number(i.createdAt),
  expiresAt: Number(i.expiresAt),
  lastSeenAt: Number(i.lastSeenAt),
});
const tokenFrom = (i: Item): ApiTokenRecord => ({
  id: String(i.sk),
  admin: String(i.admin),
  label: String(i.label),
  secretHash: String(i.secretHash),
  createdAt: Number(i.createdAt),
  ...(i.lastUsedAt !== undefined ? { lastUsedAt: Number(i.lastUsedAt) } : {}),
});
const auditItem = (r: AuditRecord, pk: string): Item => ({
  pk,
  sk: r.id,
  at: r.at,
  actor: r.actor,
  via: r.via,
  action: r.action,
  target: r.target,
  ...(r.domain !== undefined ? { domain: r.domain } : {}),
  ...(r.before !== undefined ? { before: JSON.stringify(r.before) } : {}),
  ...(r.after !== undefined ? { after: JSON.stringify(r.after) } : {}),
  ...(r.clientAddress !== undefined ? { clientAddress: r.clientAddress } : {}),
});
const auditFrom = (i: Item): AuditRecord => ({
  id: String(i.sk),
  at: Number(i.at),
  actor: String(i.actor),
  via: i.via as AuditRecord['via'],
  action: String(i.action),
  target: String(i.target),
  ...(i.domain !== undefined ? { domain: String(i.domain) } : {}),
  ...(i.before !== undefined ? { before: JSON.parse(String(i.before)) } : {}),
  ...(i.after !== undefined ? { after: JSON.parse(String(i.after)) } : {}),
  ...(i.clientAddress !== undefined ? { clientAddress: String(i.clientAddress) } : {}),
});
/** Kept an hour past its expiry, then DynamoDB's TTL deletes it (the use case checks expiry). */
const sessionTtl = (expiresAt: number) => Math.ceil(expiresAt / 1000) + 3600;

export class DynamoAdminStore implements AdminStore {
  constructor(private readonly target: DynamoTarget) {}

  private get(pk: string, sk: string): Promise<Item | undefined> {
    return this.target.client
      .send(new GetCommand({ TableName: this.target.tableName, Key: { pk, sk }, ConsistentRead: true }))
      .then((out) => out.Item);
  }

  private async put(item: Item, condition?: string): Promise<boolean> {
    try {
      await this.target.client.send(
        new PutCommand({
          TableName: this.target.tableName,
          Item: item,
          ...(condition ? { ConditionExpression: condition } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (condition && conditionFailure(err)) return false;
      throw err;
    }
  }

  private async remove(pk: string, sk: string): Promise<boolean> {
    const out = await this.target.client.send(
      new DeleteCommand({ TableName: this.target.tableName, Key: { pk, sk }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  private partition(pk: string): Promise<Item[]> {
    return queryAll(this.target.client, {
      TableName: this.target.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    });
  }

  async getAdmin(name: string): Promise<AdminRecord | undefined> {
    const item = await this.get(ADMINS, name);
    return item ? adminFrom(item) : undefined;
  }

  async listAdmins(): Promise<AdminRecord[]> {
    return (await this.partition(ADMINS)).map(adminFrom);
  }

  addAdmin(a: AdminRecord): Promise<boolean> {
    return this.put(adminItem(a), 'attribute_not_exists(pk)');
  }

  updateAdmin(a: AdminRecord): Promise<boolean> {
    return this.put(adminItem(a), 'attribute_exists(pk)');
  }

  removeAdmin(name: string): Promise<boolean> {
    return this.remove(ADMINS, name);
  }

  async putSession(s: AdminSessionRecord): Promise<void> {
    const { idHash, ...rest } = s;
    await this.put({ pk: SESSIONS, sk: idHash, ...rest, ttl: sessionTtl(s.expiresAt) });
  }

  async getSession(idHash: string): Promise<AdminSessionRecord | undefined> {
    const item = await this.get(SESSIONS, idHash);
    return item ? sessionFrom(item) : undefined;
  }

  async touchSession(idHash: string, lastSeenAt: number, expiresAt: number): Promise<void> {
    try {
      await this.target.client.send(
        new UpdateCommand({
          TableName: this.target.tableName,
          Key: { pk: SESSIONS, sk: idHash },
          UpdateExpression: 'SET lastSeenAt = :seen, expiresAt = :exp, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':seen': lastSeenAt,
            ':exp': expiresAt,
            ':ttl': sessionTtl(expiresAt),
          },
        }),
      );
    } catch (err) {
      if (!conditionFailure(err)) throw err;
    }
  }

  async removeSession(idHash: string): Promise<void> {
    await this.remove(SESSIONS, idHash);
  }

  async removeSessionsOf(admin: string): Promise<void> {
    const sessions = (await this.partition(SESSIONS)).filter((i) => i.admin === admin);
    for (const s of sessions) await this.remove(SESSIONS, String(s.sk));
  }

  async putToken(t: ApiTokenRecord): Promise<void> {
    const { id, ...rest } = t;
    await this.put({ pk: TOKENS, sk: id, ...rest });
  }

  async getToken(id: string): Promise<ApiTokenRecord | undefined> {
    const item = await this.get(TOKENS, id);
    return item ? tokenFrom(item) : undefined;
  }

  async listTokens(admin?: string): Promise<ApiTokenRecord[]> {
    const all = (await this.partition(TOKENS)).map(tokenFrom);
    return all
      .filter((t) => admin === undefined || t.admin === admin)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async touchToken(id: string, lastUsedAt: number): Promise<void> {
    try {
      await this.target.client.send(
        new UpdateCommand({
          TableName: this.target.tableName,
          Key: { pk: TOKENS, sk: id },
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': lastUsedAt },
        }),
      );
    } catch (err) {
      if (!conditionFailure(err)) throw err;
    }
  }

  removeToken(id: string): Promise<boolean> {
    return this.remove(TOKENS, id);
  }

  async appendAudit(r: AuditRecord): Promise<void> {
    const partitions = r.domain === undefined ? [AUDIT] : [AUDIT, auditPartition(r.domain)];
    await this.target.client.send(
      new TransactWriteCommand({
        TransactItems: partitions.map((pk) => ({
          Put: { TableName: this.target.tableName, Item: auditItem(r, pk) },
        })),
      }),
    );
  }

  async listAudit(q: AuditQuery): Promise<AuditPage> {
    const limit = Math.max(1, Math.floor(q.limit));
    const pk = auditPartition(q.domain);
    // One more than asked: whether a next page exists (as the SQLite twin answers).
    const out = await this.target.client.send(
      new QueryCommand({
        TableName: this.target.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: limit + 1,
        ConsistentRead: true,
        ...(q.cursor !== undefined ? { ExclusiveStartKey: { pk, sk: q.cursor } } : {}),
      }),
    );
    const rows = out.Items ?? [];
    const items = rows.slice(0, limit).map(auditFrom);
    return rows.length > limit ? { items, nextCursor: items[items.length - 1]!.id } : { items };
  }
}
