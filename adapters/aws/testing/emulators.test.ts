import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { TEST_CREDENTIALS } from './emulators.ts';

const e = inject('emulators');
const common = { region: e.region, credentials: TEST_CREDENTIALS };

describe('AWS emulators answer the real SDK clients', () => {
  it('SQS (fauxqs)', async () => {
    const sqs = new SQSClient({ ...common, endpoint: e.sqs });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `emu-${Date.now()}` }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'ping' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(got.Messages?.[0]?.Body).toBe('ping');
  });

  it('S3 (fauxqs)', async () => {
    const s3 = new S3Client({ ...common, endpoint: e.s3, forcePathStyle: true });
    const Bucket = `emu-${Date.now()}`;
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'hello' }));
    const obj = await s3.send(new GetObjectCommand({ Bucket, Key: 'k' }));
    expect(await obj.Body?.transformToString()).toBe('hello');
  });

  it('DynamoDB Local', async () => {
    const ddb = new DynamoDBClient({ ...common, endpoint: e.dynamodb });
    const TableName = `emu-${Date.now()}`;
    await ddb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toContain(TableName);
  });

  it('SES v2 (aws-ses-v2-local)', async () => {
    const ses = new SESv2Client({ ...common, endpoint: e.ses });
    const sent = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'a@example.com',
        Destination: { ToAddresses: ['b@example.net'] },
        Content: {
          Raw: { Data: Buffer.from('From: a@example.com\r\nTo: b@example.net\r\nSubject: x\r\n\r\nhi\r\n') },
        },
      }),
    );
    expect(sent.MessageId).toBeTruthy();
    const store = (await (await fetch(`${e.ses}/store`)).json()) as { emails: unknown[] };
    expect(store.emails.length).toBeGreaterThan(0);
  });
});
