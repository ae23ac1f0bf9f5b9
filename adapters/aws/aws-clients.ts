/**
 * The one place AWS SDK clients are made: SQS, S3, DynamoDB (document client), SES v2 and Lambda,
 * each created on first use from a region, optional per-service endpoints (emulators, VPC
 * endpoints) and optional credentials. Middleware that must see every request (request counting)
 * is attached here or on the returned clients. Creating a client never fails; requests do.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsEndpoints {
  readonly sqs?: string;
  readonly s3?: string;
  readonly dynamodb?: string;
  readonly ses?: string;
  readonly lambda?: string;
}

export interface AwsClientsOptions {
  readonly region: string;
  readonly endpoints?: AwsEndpoints;
  /** Defaults to the SDK's provider chain (task role, env, profile). */
  readonly credentials?: SQSClientConfig['credentials'];
}

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** Document client (removeUndefinedValues); `dynamodbRaw` is the client it wraps. */
  readonly dynamodb: DynamoDBDocumentClient;
  readonly dynamodbRaw: DynamoDBClient;
  readonly ses: SESv2Client;
  readonly lambda: LambdaClient;
  /** Close the sockets of every client created so far. */
  destroy(): void;
}

export function awsClients(opts: AwsClientsOptions): AwsClients {
  const ep = opts.endpoints ?? {};
  const common = {
    region: opts.region,
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  const made: { destroy(): void }[] = [];
  const lazy = <T extends { destroy(): void }>(make: () => T): (() => T) => {
    let client: T | undefined;
    return () => {
      if (!client) {
        client = make();
        made.push(client);
      }
      return client;
    };
  };

  // fauxqs answers queue URLs on sqs.<region>.localhost hosts: with an explicit endpoint the
  // SDK must send to that endpoint, not to the host inside the queue URL.
  const sqs = lazy(
    () => new SQSClient({ ...common, ...(ep.sqs ? { endpoint: ep.sqs, useQueueUrlAsEndpoint: false } : {}) }),
  );
  // Emulators serve buckets by path, not by virtual host.
  const s3 = lazy(
    () => new S3Client({ ...common, ...(ep.s3 ? { endpoint: ep.s3, forcePathStyle: true } : {}) }),
  );
  const dynamodbRaw = lazy(
    () => new DynamoDBClient({ ...common, ...(ep.dynamodb ? { endpoint: ep.dynamodb } : {}) }),
  );
  const dynamodb = lazy(() =>
    DynamoDBDocumentClient.from(dynamodbRaw(), { marshallOptions: { removeUndefinedValues: true } }),
  );
  const ses = lazy(() => new SESv2Client({ ...common, ...(ep.ses ? { endpoint: ep.ses } : {}) }));
  const lambda = lazy(() => new LambdaClient({ ...common, ...(ep.lambda ? { endpoint: ep.lambda } : {}) }));

  return {
    get sqs() {
      return sqs();
    },
    get s3() {
      return s3();
    },
    get dynamodb() {
      return dynamodb();
    },
    get dynamodbRaw() {
      return dynamodbRaw();
    },
    get ses() {
      return ses();
    },
    get lambda() {
      return lambda();
    },
    destroy() {
      for (const client of made.splice(0)) client.destroy();
    },
  };
}
