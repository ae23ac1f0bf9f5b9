/**
 * DeliveryChannel port: hands a message to the backend that owns the recipients' accounts
 * (LMTP to a Fargate/local backend, Lambda Invoke to a Lambda backend) and answers one typed
 * outcome per recipient. An unreachable backend yields `temporary` outcomes, never a throw.
 * Each channel carries the outcomes' typed account facts across its own wire (the Lambda JSON
 * in adapters/aws/lambda-wire.ts, the LMTP reply convention in adapters/net/lmtp-account-facts.ts).
 */
import type { Readable } from 'node:stream';
import type { MessageSource } from '../mail/message-source.ts';
import type { RecipientOutcome } from '../mail/outcome.ts';
import type { BackendInfo } from './backend-registry.ts';
import type { BodyRef } from './message-store.ts';

export interface DeliveryRequest {
  /** Job id; with each account it forms the mailbox idempotency key. */
  readonly deliveryId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  /** The job's source (SMTP, RULE, DSN …): the backend's rules test it. */
  readonly source?: MessageSource;
  /** The body by reference (Lambda backends read it from the MessageStore themselves). */
  readonly body: BodyRef;
  /** Opens the body afresh (LMTP streams it over the wire). */
  readonly openBody: () => Promise<Readable>;
}

export interface DeliveryChannel {
  /** One outcome per recipient, keyed by the recipient address as given in the request. */
  deliver(backend: BackendInfo, req: DeliveryRequest): Promise<ReadonlyMap<string, RecipientOutcome>>;
  close?(): Promise<void>;
}
