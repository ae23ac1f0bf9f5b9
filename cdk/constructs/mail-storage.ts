/**
 * Stateful mail storage: the directory, mailboxes and coordination tables (built from the AWS
 * adapters' `tableDefinitions`), the spool bucket and the mailbox bucket. Owns the grants each
 * role needs on them (the actions in ARCHITECTURE.md, "On AWS") and the variables that name them.
 */
import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type DynamoTableNames, tableDefinitions } from '../../adapters/aws/dynamo-tables.ts';
import { ENV } from '../../core/config/env-names.ts';
import { allow, allowWildcard } from './iam.ts';

export interface MailStorageProps {
  readonly retainData: boolean;
  readonly stage: string;
}

/**
 * Bucket names are fixed per stage, account and region (pseudo parameters, no cross-stack token),
 * so the roles' object-level ARNs read the same in every stack and in the nag acknowledgements.
 */
export function bucketName(stage: string, kind: 'spool' | 'mailbox'): string {
  return `strato-${stage}-${kind}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

export function bucketObjectsArn(stage: string, kind: 'spool' | 'mailbox', prefix: string): string {
  return `arn:${Aws.PARTITION}:s3:::${bucketName(stage, kind)}/${prefix}*`;
}

/** Spool object prefix (`spool/<queue id>`) and mailbox prefix, as the adapters write them. */
export const SPOOL_PREFIX = 'spool/';
export const MAILBOX_PREFIX = 'mailboxes/';
export const SPOOL_EXPIRY_DAYS = 15;

const SPOOL_REASON =
  'Spool objects are keyed spool/<queue id>, one per queued message: the grant is limited to that prefix';
const READ_DIRECTORY = ['dynamodb:GetItem', 'dynamodb:Query'];

/** Days an overwritten or deleted mailbox object stays recoverable (noncurrent version). */
export const MAILBOX_NONCURRENT_DAYS = 30;

export class MailStorage extends Construct {
  readonly tables: Record<keyof DynamoTableNames, TableV2>;
  readonly spoolBucket: Bucket;
  readonly mailboxBucket: Bucket;
  readonly stage: string;
  private readonly indexNames: string[];

  constructor(scope: Construct, id: string, props: MailStorageProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Physical names are left to CloudFormation; the definitions supply keys, GSIs and TTL.
    const defs = tableDefinitions({ directory: '', mailboxes: '', coordination: '', history: '' });
    const tables: Partial<Record<keyof DynamoTableNames, TableV2>> = {};
    for (const def of defs) {
      const name = def.role[0]!.toUpperCase() + def.role.slice(1);
      tables[def.role] = new TableV2(this, `${name}Table`, {
        partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
        sortKey: { name: def.sortKey, type: AttributeType.STRING },
        billing: Billing.onDemand(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(def.ttlAttribute && { timeToLiveAttribute: def.ttlAttribute }),
        globalSecondaryIndexes: def.globalSecondaryIndexes.map((gsi) => ({
          indexName: gsi.indexName,
          partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
          sortKey: { name: gsi.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...gsi.nonKeyAttributes],
        })),
        deletionProtection: props.retainData,
        removalPolicy,
      });
    }
    this.tables = tables as Record<keyof DynamoTableNames, TableV2>;
    this.indexNames = defs.flatMap((d) =>
      d.role === 'directory' ? d.globalSecondaryIndexes.map((g) => g.indexName) : [],
    );

    const common = {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
      autoDeleteObjects: false,
    } as const;
    this.stage = props.stage;
    this.spoolBucket = new Bucket(this, 'SpoolBucket', {
      ...common,
      bucketName: bucketName(props.stage, 'spool'),
      lifecycleRules: [
        // The only delete of a delivered body (the adapter sends no DeleteObject per message,
        // S3MessageStore expiresBodies). A job lives at most 5 days (14 in SQS): a body older
        // than 15 days is no longer needed, even by an operator retrying a dead job.
        { id: 'expire-spool', prefix: SPOOL_PREFIX, expiration: Duration.days(SPOOL_EXPIRY_DAYS) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    this.mailboxBucket = new Bucket(this, 'MailboxBucket', {
      ...common,
      bucketName: bucketName(props.stage, 'mailbox'),
      versioned: true,
      lifecycleRules: [
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Versioning keeps an overwritten or deleted message for recovery, not for ever.
        {
          id: 'expire-noncurrent',
          noncurrentVersionExpiration: Duration.days(MAILBOX_NONCURRENT_DAYS),
          expiredObjectDeleteMarker: true,
        },
      ],
    });
    for (const bucket of [this.spoolBucket, this.mailboxBucket]) {
      Validations.of(bucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs would log every message put/get (about 4 log records per delivered message); ' +
          'object-level auditing, when required, is done with CloudTrail S3 data events instead',
      });
    }
  }

  /** The storage variables every role gets (table and bucket names). */
  environment(): Record<string, string> {
    return {
      [ENV.directoryTable]: this.tables.directory.tableName,
      [ENV.mailboxTable]: this.tables.mailboxes.tableName,
      [ENV.coordinationTable]: this.tables.coordination.tableName,
      [ENV.historyTable]: this.tables.history.tableName,
      [ENV.spoolBucket]: bucketName(this.stage, 'spool'),
      [ENV.mailboxBucket]: bucketName(this.stage, 'mailbox'),
    };
  }

  /** The directory table and its one GSI (named: no wildcard). */
  private directoryArns(): string[] {
    const arn = this.tables.directory.tableArn;
    return [arn, ...this.indexNames.map((name) => `${arn}/index/${name}`)];
  }

  private spoolObjects(): string {
    return bucketObjectsArn(this.stage, 'spool', SPOOL_PREFIX);
  }

  /** Frontends: intake (the quota read at RCPT) plus queue processing. */
  grantFrontend(grantee: IGrantable): void {
    this.grantQueueProcessing(grantee);
    allow(grantee, ['dynamodb:GetItem'], [this.tables.mailboxes.tableArn]);
  }

  /** Queue processing (in frontends or the queue Lambda): routing, leases, counters, spool bodies and DSNs. */
  grantQueueProcessing(grantee: IGrantable): void {
    const { coordination } = this.tables;
    allow(grantee, READ_DIRECTORY, this.directoryArns());
    allow(
      grantee,
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      [coordination.tableArn],
    );
    allowWildcard(
      grantee,
      ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      [this.spoolObjects()],
      SPOOL_REASON,
    );
    this.grantHistoryWrite(grantee);
  }

  /** The SES feedback consumer: sender domain lookups, suppression items, DSN bodies into the spool. */
  grantSesFeedback(grantee: IGrantable): void {
    allow(grantee, READ_DIRECTORY, this.directoryArns());
    allow(grantee, ['dynamodb:PutItem'], [this.tables.coordination.tableArn]);
    allowWildcard(grantee, ['s3:PutObject'], [this.spoolObjects()], SPOOL_REASON);
  }

  /**
   * The admin API's access layer (core/admin-access, AdminStore in the coordination table):
   * administrators, sessions, API tokens, audit records (TransactWriteItems is authorised per
   * item: PutItem) and the login lockout counters (UpdateItem ADD, GetItem). The admin use cases
   * need their own grants on top (directory, queue, history...).
   */
  grantAdminAccess(grantee: IGrantable): void {
    allow(
      grantee,
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
      ],
      [this.tables.coordination.tableArn],
    );
  }

  /** Every role that handles mail records its message history (batched writes only). */
  private grantHistoryWrite(grantee: IGrantable): void {
    allow(grantee, ['dynamodb:BatchWriteItem'], [this.tables.history.tableArn]);
  }

  /** Backends (LMTP tasks or the backend Lambda). */
  grantBackend(grantee: IGrantable): void {
    const { coordination, mailboxes } = this.tables;
    allow(grantee, READ_DIRECTORY, this.directoryArns());
    allow(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      [coordination.tableArn, mailboxes.tableArn],
    );
    // A backend deregisters itself (its heartbeat item) when it stops cleanly.
    allow(grantee, ['dynamodb:DeleteItem'], [coordination.tableArn]);
    // TransactWriteItems is authorised per item action: PutItem/UpdateItem above cover the append.
    allowWildcard(
      grantee,
      ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      [bucketObjectsArn(this.stage, 'mailbox', MAILBOX_PREFIX)],
      'Mailbox objects are keyed mailboxes/<account>/<folder>/<uid>.eml; backends own any account, so the grant covers the prefix',
    );
    // Bodies by reference (Lambda backends) and generated mail (put into the spool; the cluster
    // rules' header edits store it again and delete the unedited body).
    allowWildcard(
      grantee,
      ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      [this.spoolObjects()],
      SPOOL_REASON,
    );
    this.grantHistoryWrite(grantee);
  }
}
