/**
 * DeliveryChannel to Lambda backends: a synchronous Invoke of the backend function with the
 * same request as LMTP (the body travels by reference: the function reads it from the
 * MessageStore) and one outcome per recipient back, account facts included (lambda-wire.ts).
 * A failed invoke, a function error, an answer that is not valid JSON or not of the wire's shape,
 * or one that misses a recipient becomes a `temporary` outcome for it; nothing throws.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { type RecipientOutcome, temporary } from '../../core/mail/outcome.ts';
import { replies } from '../../core/mail/smtp-replies.ts';
import type { BackendInfo } from '../../core/ports/backend-registry.ts';
import type { DeliveryChannel, DeliveryRequest } from '../../core/ports/delivery-channel.ts';
import { type DeliveryAnswer, type DeliveryInvocation, parseDeliveryAnswer } from './lambda-wire.ts';

function readAnswer(text: string): DeliveryAnswer {
  try {
    return parseDeliveryAnswer(JSON.parse(text));
  } catch {
    return { outcomes: new Map(), problem: `answer is not JSON: ${text.slice(0, 200)}` };
  }
}

export class LambdaChannel implements DeliveryChannel {
  constructor(private readonly lambda: LambdaClient) {}

  async deliver(backend: BackendInfo, req: DeliveryRequest): Promise<ReadonlyMap<string, RecipientOutcome>> {
    const out = new Map<string, RecipientOutcome>();
    const invocation: DeliveryInvocation = {
      deliveryId: req.deliveryId,
      mailFrom: req.mailFrom,
      recipients: [...req.recipients],
      body: req.body,
      ...(req.source ? { source: req.source } : {}),
    };
    let failure: string | undefined;
    try {
      const res = await this.lambda.send(
        new InvokeCommand({
          FunctionName: backend.address,
          InvocationType: 'RequestResponse',
          Payload: Buffer.from(JSON.stringify(invocation)),
        }),
      );
      const text = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
      if (res.FunctionError) {
        failure = `function error ${res.FunctionError}: ${text.slice(0, 200)}`;
      } else {
        const answer = readAnswer(text);
        failure = answer.problem;
        for (const [recipient, outcome] of answer.outcomes) {
          if (req.recipients.includes(recipient)) out.set(recipient, outcome);
        }
      }
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    const reply = replies.backendUnreachable(backend.id, failure ?? 'no outcome returned for the recipient');
    for (const rcpt of req.recipients) if (!out.has(rcpt)) out.set(rcpt, temporary(reply));
    return out;
  }
}
