import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  QUEUE_INDEX_DEAD_INDEX,
  QUEUE_INDEX_TTL_ATTRIBUTE,
  queueIndexTableDefinition,
} from '../adapters/aws/queue-index-table.ts';
import { normalisedTemplate, stage, synthStage } from './test-support.ts';

let t: Template;
beforeAll(() => {
  t = synthStage(stage('dev')).statefulTemplate;
});

describe('stateful stack', () => {
  it('builds the four mail tables from tableDefinitions, with PITR, and TTL on coordination and history', () => {
    const tables = t.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(5);
    const withTtl = Object.entries(tables).filter(
      ([, r]) =>
        JSON.stringify(r.Properties.TimeToLiveSpecification) === '{"AttributeName":"ttl","Enabled":true}',
    );
    expect(withTtl.map(([id]) => id.replace(/Table.*$/, '')).sort()).toEqual([
      'MailQueueIndex',
      'StorageCoordination',
      'StorageHistory',
    ]);
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'list',
          KeySchema: [
            { AttributeName: 'listPk', KeyType: 'HASH' },
            { AttributeName: 'listSk', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: ['name', 'mailToUnknown', 'defaults', 'createdAt'],
          },
        }),
      ],
    });
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: Match.arrayWith([{ AttributeName: 'pk', KeyType: 'HASH' }]),
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    for (const table of Object.values(tables) as { Properties: Record<string, unknown> }[]) {
      expect(table.Properties.Replicas).toEqual([
        expect.objectContaining({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ]);
    }
  });

  it('has the queue index table keyed by id with its TTL and the sparse dead-letters GSI', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: QUEUE_INDEX_TTL_ATTRIBUTE, Enabled: true },
      // The same index the adapter (and the emulator tests) create: queueIndexTableDefinition.
      GlobalSecondaryIndexes: [
        {
          IndexName: QUEUE_INDEX_DEAD_INDEX,
          KeySchema: [
            { AttributeName: 'dlk', KeyType: 'HASH' },
            { AttributeName: 'vis', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
    expect(queueIndexTableDefinition('x').GlobalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: QUEUE_INDEX_DEAD_INDEX,
      KeySchema: [
        { AttributeName: 'dlk', KeyType: 'HASH' },
        { AttributeName: 'vis', KeyType: 'RANGE' },
      ],
    });
  });

  it('encrypts both buckets, blocks public access and expires the spool', () => {
    const buckets = Object.values(t.findResources('AWS::S3::Bucket')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(buckets).toHaveLength(2);
    for (const b of buckets) {
      expect(b.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      expect(b.Properties.PublicAccessBlockConfiguration).toMatchObject({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          { Id: 'expire-spool', Prefix: 'spool/', ExpirationInDays: 15, Status: 'Enabled' },
          {
            Id: 'abort-multipart',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          },
        ],
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
  });

  it('denies non-TLS access to both buckets', () => {
    const policies = t.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const p of Object.values(policies) as {
      Properties: { PolicyDocument: { Statement: unknown[] } };
    }[]) {
      expect(p.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('has the SQS queue and DLQ: SSE, 14-day retention, redrive after maxReceiveCount, TLS only', () => {
    const queues = Object.entries(t.findResources('AWS::SQS::Queue')) as [
      string,
      { Properties: Record<string, unknown> },
    ][];
    expect(queues).toHaveLength(2);
    for (const [, q] of queues) {
      expect(q.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
    const dlqId = queues.find(([id]) => id.includes('DeadLetter'))![0];
    t.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 120,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 20 },
    });
    const policies = Object.values(t.findResources('AWS::SQS::QueuePolicy')) as {
      Properties: { PolicyDocument: { Statement: unknown[] } };
    }[];
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('outputs the names the CLI needs', () => {
    const outputs = Object.values(t.toJSON().Outputs as Record<string, { Description?: string }>)
      .map((o) => o.Description)
      .filter(Boolean)
      .sort();
    expect(outputs).toEqual(
      [
        'STRATO_COORDINATION_TABLE',
        'STRATO_DIRECTORY_TABLE',
        'STRATO_DLQ_URL',
        'STRATO_HISTORY_TABLE',
        'STRATO_MAILBOX_BUCKET',
        'STRATO_MAILBOX_TABLE',
        'STRATO_QUEUE_INDEX_TABLE',
        'STRATO_QUEUE_URL',
        'STRATO_SPOOL_BUCKET',
      ].sort(),
    );
  });

  it('matches the snapshot', () => {
    expect(normalisedTemplate(t)).toMatchSnapshot();
  });
});
