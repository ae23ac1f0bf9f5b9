/**
 * The IAM actions each role must get (ARCHITECTURE.md, "On AWS: data model and permissions"), as
 * action → resource labels (see resourceLabel in test-support.ts). Shared by the CDK tests.
 */
/** What a queue processor gets on the queue and its index (ARCHITECTURE.md, "On AWS"). */
export const QUEUE_PROCESSOR_ACTIONS = {
  'sqs:ChangeMessageVisibility': ['dlq', 'queue'],
  'sqs:DeleteMessage': ['dlq', 'queue'],
  'sqs:GetQueueAttributes': ['dlq', 'queue'],
  'sqs:ReceiveMessage': ['dlq', 'queue'],
  'sqs:SendMessage': ['dlq', 'queue'],
  's3:AbortMultipartUpload': ['spool/*'],
  's3:DeleteObject': ['spool/*'],
  's3:GetObject': ['spool/*'],
  's3:PutObject': ['spool/*'],
  'dynamodb:BatchWriteItem': ['history'],
  'dynamodb:DeleteItem': ['coordination', 'queue-index'],
  'dynamodb:GetItem': ['coordination', 'directory', 'directory/index/list', 'queue-index'],
  'dynamodb:PutItem': ['coordination', 'queue-index'],
  // The queue index only through its dead-letters GSI (the dead-letter sweep); no Scan anywhere.
  'dynamodb:Query': ['coordination', 'directory', 'directory/index/list', 'queue-index/index/dead-letters'],
  'dynamodb:UpdateItem': ['coordination', 'queue-index'],
};
export const SES_ACTIONS = {
  'ses:SendEmail': ['ses:configuration-set', 'ses:identity/*'],
  'ses:SendRawEmail': ['ses:configuration-set', 'ses:identity/*'],
};
export const BACKEND_ACTIONS = {
  'dynamodb:BatchWriteItem': ['history'],
  'dynamodb:DeleteItem': ['coordination', 'queue-index'],
  'dynamodb:GetItem': ['coordination', 'directory', 'directory/index/list', 'mailboxes'],
  'dynamodb:PutItem': ['coordination', 'mailboxes', 'queue-index'],
  'dynamodb:Query': ['coordination', 'directory', 'directory/index/list', 'mailboxes'],
  'dynamodb:UpdateItem': ['coordination', 'mailboxes'],
  's3:AbortMultipartUpload': ['mailboxes/*'],
  's3:DeleteObject': ['mailboxes/*', 'spool/*'],
  's3:GetObject': ['mailboxes/*', 'spool/*'],
  's3:PutObject': ['mailboxes/*', 'spool/*'],
  'sqs:SendMessage': ['queue'],
};
