/**
 * DeliveryChannel port: hands a message to the backend that owns the recipients' accounts
 * (LMTP to a Fargate/local backend, Lambda Invoke to a Lambda backend) and answers one typed
 * outcome per recipient. An unreachable backend yields `temporary` outcomes, never a throw.
 */
import type { Readable } from 'node:stream';
import type { RecipientOutcome } from '../mail/outcome.ts';

export interface BackendRef {
  /** Stable backend id (the lease owner name). */
  readonly id: string;
  /** Where to reach it: "host:port" for LMTP, a function name/ARN for Lambda. */
  readonly address: string;
}

export interface DeliveryRequest {
  /** Job id; with each recipient it forms the mailbox idempotency key. */
  readonly deliveryId: string;
  readonly mailFrom: string;
  readonly recipients: readonly string[];
  readonly openBody: () => Promise<Readable>;
}

export interface DeliveryChannel {
  deliver(backend: BackendRef, req: DeliveryRequest): Promise<ReadonlyMap<string, RecipientOutcome>>;
}
