/**
 * The DynamoDB tables of the AWS adapters as plain data (names are passed in): key schema, GSIs,
 * TTL attribute and the access pattern each key serves. The CDK stack builds the same tables from
 * `tableDefinitions`; `createTables` makes them on DynamoDB Local (tests, local runs).
 * Failure: createTables propagates SDK errors, except that a table which already exists is kept.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Physical table names, chosen by the deployment (CDK) or a test. */
export interface DynamoTableNames {
  readonly directory: string;
  readonly mailboxes: string;
  readonly coordination: string;
  readonly history: string;
}

/** Every table has a string partition key `pk` and a string sort key `sk`. */
export const PK = 'pk';
export const SK = 'sk';
/** TTL attribute (epoch seconds) of the coordination table (counter windows, frontend heartbeats, vacation memory) and the history table. */
export const TTL_ATTRIBUTE = 'ttl';
/** Sparse GSI of the directory: only items that belong in a cluster-wide list carry `listPk`. */
export const LIST_INDEX = 'list';
export const LIST_PK = 'listPk';
export const LIST_SK = 'listSk';

export interface TableDefinition {
  readonly role: keyof DynamoTableNames;
  readonly tableName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly ttlAttribute?: string;
  readonly globalSecondaryIndexes: readonly {
    readonly indexName: string;
    readonly partitionKey: string;
    readonly sortKey: string;
    /** Attributes copied into the index besides the keys. */
    readonly nonKeyAttributes: readonly string[];
  }[];
  /** Item kinds and the operations each key serves (documentation, also for ARCHITECTURE.md). */
  readonly accessPatterns: readonly string[];
}

export function tableDefinitions(names: DynamoTableNames): TableDefinition[] {
  return [
    {
      role: 'directory',
      tableName: names.directory,
      partitionKey: PK,
      sortKey: SK,
      globalSecondaryIndexes: [
        {
          indexName: LIST_INDEX,
          partitionKey: LIST_PK,
          sortKey: LIST_SK,
          // Not `names` (the per-domain name count): counting names must not rewrite the index.
          nonKeyAttributes: ['name', 'mailToUnknown', 'defaults', 'createdAt'],
        },
      ],
      accessPatterns: [
        'domain    pk=domain#<domain> sk=domain: getDomain (GetItem); names = count of names (removeDomain)',
        'name      pk=domain#<domain> sk=name#<address>: lookupName/getAccount (GetItem); one item per name, ' +
          'so accounts, aliases and forwarders share a namespace (conditional put); listAccounts/listAliases/' +
          'listForwarders = Query pk, begins_with(sk, "name#"), filter on kind',
        'cluster   pk=cluster sk=settings: getClusterSettings/updateClusterSettings',
        'GSI list  listPk=domains listSk=<domain> (domain items only): listDomains (Query; eventually consistent)',
      ],
    },
    {
      role: 'mailboxes',
      tableName: names.mailboxes,
      partitionKey: PK,
      sortKey: SK,
      globalSecondaryIndexes: [],
      accessPatterns: [
        'account   pk=<account> sk=account: maxEpoch (fence), uid:<folder> (next UID per folder), bytes (usage), ' +
          'folders (string set): append = one TransactWriteItems (fence, UID, usage + the two items below), usage/folders GetItem',
        'delivery  pk=<account> sk=delivery#<deliveryKey> (or delivery-sha256#<hex> when long): idempotent append ' +
          '(conditional put), answers a duplicate with the first uid',
        'message   pk=<account> sk=message#<folder, %-encoded>#<uid, 10 digits>: list = Query begins_with, ' +
          'read = GetItem (then S3 GetObject of bodyKey)',
      ],
    },
    {
      role: 'coordination',
      tableName: names.coordination,
      partitionKey: PK,
      sortKey: SK,
      ttlAttribute: TTL_ATTRIBUTE,
      globalSecondaryIndexes: [],
      accessPatterns: [
        'lease     pk=lease#<account> sk=lease: acquire/renew/release (conditional UpdateItem), get (GetItem); ' +
          'never expires by TTL (its epoch must never go back)',
        'counter   pk=counter#<key> sk=<windowSeconds>#<windowStart ms>: tryConsume/add (UpdateItem ADD), peek ' +
          '(GetItem); ttl = window end + 1 h',
        'session   pk=clientsession#<client ip> sk=<frontend id>:<session id>: open (PutItem + Query COUNT ' +
          'filtered on exp), refresh (conditional UpdateItem), close (DeleteItem); ttl = exp + 1 h',
        'backend   pk=backends sk=<id>: heartbeat (PutItem), deregister (DeleteItem), listLive/listAll (Query)',
        'hold      pk=queue-holds sk=<kind>#<value>: queue hold directives; add (conditional PutItem), ' +
          'remove (DeleteItem), list (Query; read by queue processors through a short cache)',
        'frontend  pk=frontends sk=<id>: heartbeatFrontend (PutItem), deregisterFrontend (DeleteItem), ' +
          'listLiveFrontends/listRecentFrontends (Query); ttl = expiry + 1 day',
        'settings  pk=cluster sk=queue-processing: getQueueSettings (GetItem), updateQueueSettings (UpdateItem)',
        'route     pk=routes sk=<destination>: outbound routing table; listRoutes (Query), setRoute (PutItem), ' +
          'removeRoute (DeleteItem)',
        'admin     pk=admins sk=<name>: administrators of the admin API; get (GetItem), list (Query), ' +
          'add/update (conditional PutItem), remove (DeleteItem)',
        'adminsess pk=admin-sessions sk=<sha256 of the cookie>: get (GetItem), touch (conditional UpdateItem), ' +
          'remove (DeleteItem; by administrator: Query + filter); ttl = expiry + 1 h',
        'token     pk=admin-tokens sk=<token id>: API tokens; get (GetItem), list (Query), touch (UpdateItem)',
        'audit     pk=audit sk=<time-ordered id>, and a copy under pk=audit#<domain> for a record of one domain ' +
          '(TransactWriteItems): listAudit = Query newest first, Limit, ExclusiveStartKey (the cursor)',
      ],
    },
    {
      role: 'history',
      tableName: names.history,
      partitionKey: PK,
      sortKey: SK,
      ttlAttribute: TTL_ATTRIBUTE,
      globalSecondaryIndexes: [],
      accessPatterns: [
        'event     pk=msg#<queue id> sk=<at ms, 13 digits>#<writer>#<seq>: append (BatchWriteItem), story = Query pk; ' +
          'ttl = at + retention (STRATO_HISTORY_DAYS)',
        'lookup    pk=mid#<Message-ID> or addr#<address> sk=<at>#<queue id>: written with the accepted event; ' +
          'trace by Message-ID or address = Query pk, newest first, Limit (no Scan)',
      ],
    },
  ];
}

/** The CreateTable request for one definition (on-demand capacity, as the CDK stack uses). */
export function createTableInput(def: TableDefinition): CreateTableCommandInput {
  const attributes = new Set([def.partitionKey, def.sortKey]);
  for (const gsi of def.globalSecondaryIndexes) {
    attributes.add(gsi.partitionKey);
    attributes.add(gsi.sortKey);
  }
  return {
    TableName: def.tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: def.partitionKey, KeyType: 'HASH' },
      { AttributeName: def.sortKey, KeyType: 'RANGE' },
    ],
    ...(def.globalSecondaryIndexes.length > 0 && {
      GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...gsi.nonKeyAttributes] },
      })),
    }),
  };
}

/** Create the tables (keeping any that exist), wait until they are active and turn on TTL. */
export async function createTables(client: DynamoDBClient, names: DynamoTableNames): Promise<void> {
  await Promise.all(
    tableDefinitions(names).map(async (def) => {
      try {
        await client.send(new CreateTableCommand(createTableInput(def)));
      } catch (err) {
        if (!(err instanceof ResourceInUseException)) throw err;
      }
      await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: def.tableName });
      if (def.ttlAttribute) {
        try {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: def.tableName,
              TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
            }),
          );
        } catch (err) {
          // Turning TTL on twice is refused; an existing table keeps what it has.
          if (!(err instanceof Error && /already enabled/i.test(err.message))) throw err;
        }
      }
    }),
  );
}

/** Delete the tables (tests); missing ones are ignored. */
export async function deleteTables(client: DynamoDBClient, names: DynamoTableNames): Promise<void> {
  await Promise.all(
    Object.values(names).map(async (TableName: string) => {
      try {
        await client.send(new DeleteTableCommand({ TableName }));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
      }
    }),
  );
}
