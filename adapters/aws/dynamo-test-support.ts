/**
 * Test support for the DynamoDB adapters: SDK clients (aws-clients.ts) on the emulators of the run,
 * and one set of tables per test file (names prefixed with a random id, created on first use,
 * emptied between tests, deleted after the file). Failure: emulator errors fail the test.
 */
import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, inject } from 'vitest';
import { TestClock } from '../contract/test-clock.ts';
import { type AwsClients, awsClients } from './aws-clients.ts';
import { createTables, type DynamoTableNames, deleteTables } from './dynamo-tables.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

export interface TestDynamo {
  readonly raw: DynamoDBClient;
  readonly client: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly names: DynamoTableNames;
  /** Create the tables once (first call) and empty them (later calls). */
  fresh(): Promise<void>;
}

/** Call at the top level of a test file: the tables live until the file's tests are done. */
export function suiteTables(): TestDynamo {
  const clients = emulatorClients();
  const raw = clients.dynamodbRaw;
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const names: DynamoTableNames = {
    directory: `${prefix}-directory`,
    mailboxes: `${prefix}-mailboxes`,
    coordination: `${prefix}-coordination`,
    history: `${prefix}-history`,
  };
  let created: Promise<void> | undefined;
  afterAll(async () => {
    if (created) await deleteTables(raw, names);
    clients.destroy();
  });
  return {
    raw,
    client: clients.dynamodb,
    s3: clients.s3,
    names,
    async fresh() {
      if (!created) {
        created = createTables(raw, names);
        return created;
      }
      await created;
      await Promise.all(Object.values(names).map((t: string) => emptyTable(raw, t)));
    },
  };
}

/**
 * A TestClock that starts at the wall clock, for suites whose items carry a TTL (counter windows,
 * auto-reply memory). DynamoDB Local, like DynamoDB, deletes items whose TTL is before the REAL
 * time, in the background and within about a second. TestClock's default start (2026-01-01) is in
 * the past, so items written by its time would vanish under the test at a random moment (a count
 * read back as 0, a limit enforced twice because the window restarted mid-race).
 */
export function wallClockTestClock(): TestClock {
  return new TestClock(Date.now());
}

/** SDK clients (the production factory) pointed at the emulators of this test run. */
export function emulatorClients(): AwsClients {
  const e = inject('emulators');
  return awsClients({
    region: e.region,
    endpoints: { dynamodb: e.dynamodb, s3: e.s3 },
    credentials: TEST_CREDENTIALS,
  });
}

async function emptyTable(raw: DynamoDBClient, TableName: string): Promise<void> {
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await raw.send(
      new ScanCommand({ TableName, ProjectionExpression: 'pk, sk', ExclusiveStartKey: start }),
    );
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += 25) {
      const batch = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      let pending: typeof batch | undefined = batch;
      while (pending && pending.length > 0) {
        const r = await raw.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: pending } }));
        pending = r.UnprocessedItems?.[TableName] as typeof batch | undefined;
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
}

/**
 * The same object, but every promise its methods return already has a (no-op) rejection handler.
 * For contract cases that start several calls at once and await them one by one: against a
 * networked store a later call can fail before its turn, which Node reports as an unhandled
 * rejection although the case awaits it afterwards. The case still sees every rejection.
 */
export function handledRejections<T extends object>(target: T): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result = value.apply(obj, args);
        if (result instanceof Promise) result.catch(() => {});
        return result;
      };
    },
  });
}
