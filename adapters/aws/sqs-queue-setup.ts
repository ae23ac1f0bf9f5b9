/**
 * Creates the mail queue's SQS resources for tests and local runs: a dead-letter queue and the
 * main standard queue whose RedrivePolicy moves a message there after `maxReceiveCount` receives
 * (CDK defines the same pair in AWS). Both keep messages 14 days. Failure: SQS errors propagate.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface MailQueueResources {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

const RETENTION_SECONDS = String(14 * 24 * 3600);

export async function createMailQueueResources(
  sqs: SQSClient,
  name: string,
  maxReceiveCount: number,
): Promise<MailQueueResources> {
  const dlq = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}-dlq`,
      Attributes: { MessageRetentionPeriod: RETENTION_SECONDS },
    }),
  );
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }),
  );
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        MessageRetentionPeriod: RETENTION_SECONDS,
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: attrs.Attributes!.QueueArn,
          maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: main.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl! };
}
