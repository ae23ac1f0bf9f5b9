import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, inject, it } from 'vitest';
import { RequestCounter } from './request-counter.ts';
import { TEST_CREDENTIALS } from './testing/emulators.ts';

describe('AWS request counter', () => {
  it('counts each request by service and operation', async () => {
    const e = inject('emulators');
    const sqs = new SQSClient({ region: e.region, endpoint: e.sqs, credentials: TEST_CREDENTIALS });
    const counter = new RequestCounter();
    counter.attach(sqs);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `count-${Date.now()}` }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'b' }));
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(counter.snapshot()).toEqual({
      total: 4,
      byOperation: { 'SQS.CreateQueue': 1, 'SQS.GetQueueAttributes': 1, 'SQS.SendMessage': 2 },
    });
    counter.reset();
    expect(counter.snapshot().total).toBe(0);
  });
});
